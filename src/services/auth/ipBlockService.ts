/**
 * IP blocks from repeated authentication failures, and lifting them, each recorded in the
 * audit log (the counting and the block store are in security.ts).
 */
import type { PrismaClient } from '../../db/prisma.js';
import { AppError } from '../../utils/AppError.js';
import { recordAudit, type AuditContext } from '../ops/auditService.js';
import type { Security } from './security.js';

interface IpBlockDeps {
  prisma: PrismaClient;
  security: Security;
}

/** Counts an authentication failure against `ip`; audit-logs the block it may cause. */
export async function recordAuthFailure(
  { prisma, security }: IpBlockDeps,
  { ip, audit }: { ip: string; audit: AuditContext },
) {
  const block = await security.recordAuthFailure(ip);
  if (block) {
    await recordAudit(prisma, audit, {
      action: 'security.ip_block',
      targetType: 'ip',
      targetId: ip,
      metadata: { reason: block.reason, expiresAt: block.expiresAt },
    });
  }
}

/** An admin lifts a block (audited); 404 when `ip` is not blocked. */
export async function unblockIp({ prisma, security }: IpBlockDeps, { ip, audit }: { ip: string; audit: AuditContext }) {
  if (!(await security.unblockIp(ip))) throw AppError.notFound('IP block');
  await recordAudit(prisma, audit, { action: 'security.ip_unblock', targetType: 'ip', targetId: ip });
}
