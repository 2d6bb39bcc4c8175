import type { PrismaClient } from '../../db/prisma.js';
import type { Prisma } from '../../generated/prisma/client.js';
import { DAY_MS } from '../../utils/time.js';

/** Who did something, from where: built by controllers from the request. */
export interface AuditContext {
  actorId?: string | null;
  ip?: string | null;
  userAgent?: string | null;
  requestId?: string | null;
}

export interface AuditEvent {
  action: string;
  targetType?: string;
  targetId?: string | null;
  metadata?: Prisma.InputJsonValue;
}

type AuditClient = Pick<PrismaClient, 'auditLog'>;

/** Appends one audit row. Audit rows are never updated; only the retention job deletes them. */
export async function recordAudit(db: AuditClient, ctx: AuditContext, event: AuditEvent): Promise<void> {
  await db.auditLog.create({
    data: {
      action: event.action,
      actorId: ctx.actorId ?? null,
      targetType: event.targetType ?? null,
      targetId: event.targetId ?? null,
      ip: ctx.ip ?? null,
      userAgent: ctx.userAgent?.slice(0, 512) ?? null,
      requestId: ctx.requestId ?? null,
      metadata: event.metadata,
    },
  });
}

/** Deletes audit rows older than `days`; returns how many. */
export async function purgeAuditLogs(db: AuditClient, days: number, now = new Date()): Promise<number> {
  const cutoff = new Date(now.getTime() - days * DAY_MS);
  const { count } = await db.auditLog.deleteMany({ where: { createdAt: { lt: cutoff } } });
  return count;
}
