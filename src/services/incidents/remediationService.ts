/**
 * Remediations: an incident's fix turned into policy. Stored with who/when/params and an
 * optional expiry; the project's cached context is invalidated on every replica, so the very
 * next /llm/request obeys (see remediationEnforcer.ts). `reset_settings` is applied to the
 * stored settings at once and remembers the previous ones, so reverting it restores them.
 */
import type { PrismaClient } from '../../db/prisma.js';
import type { Prisma, RemediationAction } from '../../generated/prisma/client.js';
import { AppError } from '../../utils/AppError.js';
import type { AccessClaims } from '../../utils/jwt.js';
import type { RemediationInput } from '../../validators/incidentValidators.js';
import { recordAudit, type AuditContext } from '../ops/auditService.js';
import { getAccessibleIncident } from './incidentService.js';
import type { KeyCache } from '../auth/keyCache.js';
import { wholeList } from '../../validators/common.js';

const DEFAULT_SETTINGS = { safetyThreshold: 80, piiMode: 'off', defaultModel: null, systemPrompt: null } as const;

export async function applyRemediation(
  prisma: PrismaClient,
  cache: KeyCache,
  caller: AccessClaims,
  incidentId: string,
  input: RemediationInput,
  ctx: AuditContext,
): Promise<RemediationAction> {
  const incident = await getAccessibleIncident(prisma, incidentId, caller);
  const expiresAt = 'expiresAt' in input ? input.expiresAt : undefined;
  if (expiresAt && expiresAt <= new Date()) {
    throw new AppError('VALIDATION_ERROR', 'expiresAt must be in the future', {
      details: [{ path: 'expiresAt', message: 'must be in the future', code: 'too_small' }],
    });
  }
  const projectId = incident.projectId;
  const remediation = await prisma.$transaction(async (tx) => {
    let params: Record<string, unknown> = input.params;
    if (input.action === 'reset_settings') {
      const project = await tx.project.findUniqueOrThrow({ where: { id: projectId } });
      params = {
        previous: {
          safetyThreshold: project.safetyThreshold,
          piiMode: project.piiMode,
          defaultModel: project.defaultModel,
          systemPrompt: project.systemPrompt,
        },
      };
      await tx.project.update({ where: { id: projectId }, data: { ...DEFAULT_SETTINGS } });
      await tx.remediationAction.updateMany({
        where: { projectId, status: 'active' },
        data: { status: 'reverted', revertedAt: new Date(), revertedById: caller.sub },
      });
    }
    return tx.remediationAction.create({
      data: {
        incidentId,
        projectId,
        action: input.action,
        params: params as Prisma.InputJsonValue,
        appliedById: caller.sub,
        expiresAt: expiresAt ?? null,
      },
    });
  });
  await cache.invalidateProject(projectId);
  await recordAudit(prisma, ctx, {
    action: 'remediation.apply',
    targetType: 'remediation',
    targetId: remediation.id,
    metadata: { incidentId, projectId, action: input.action },
  });
  return remediation;
}

export async function revertRemediation(
  prisma: PrismaClient,
  cache: KeyCache,
  caller: AccessClaims,
  incidentId: string,
  remediationId: string,
  ctx: AuditContext,
): Promise<RemediationAction> {
  const incident = await getAccessibleIncident(prisma, incidentId, caller);
  const row = await prisma.remediationAction.findFirst({ where: { id: remediationId, incidentId: incident.id } });
  if (!row) throw AppError.notFound('Remediation');
  if (row.status !== 'active') throw new AppError('CONFLICT', `Remediation is already ${row.status}`);
  const reverted = await prisma.$transaction(async (tx) => {
    if (row.action === 'reset_settings') {
      const previous = (row.params as { previous?: Prisma.ProjectUpdateInput }).previous;
      if (previous) await tx.project.update({ where: { id: row.projectId }, data: previous });
    }
    return tx.remediationAction.update({
      where: { id: row.id },
      data: { status: 'reverted', revertedAt: new Date(), revertedById: caller.sub },
    });
  });
  await cache.invalidateProject(row.projectId);
  await recordAudit(prisma, ctx, {
    action: 'remediation.revert',
    targetType: 'remediation',
    targetId: row.id,
    metadata: { incidentId, projectId: row.projectId, action: row.action },
  });
  return reverted;
}

export async function listRemediations(prisma: PrismaClient, caller: AccessClaims, incidentId: string) {
  const incident = await getAccessibleIncident(prisma, incidentId, caller);
  const data = await prisma.remediationAction.findMany({
    where: { incidentId: incident.id },
    orderBy: { createdAt: 'desc' },
  });
  return wholeList(data);
}

/** Marks remediations past their expiry (enforcement already ignores them); returns the count. */
export async function expireRemediations(
  db: Pick<PrismaClient, 'remediationAction'>,
  now = new Date(),
): Promise<number> {
  const { count } = await db.remediationAction.updateMany({
    where: { status: 'active', expiresAt: { lte: now } },
    data: { status: 'expired' },
  });
  return count;
}
