import type { PrismaClient } from '../../db/prisma.js';
import type { Prisma } from '../../generated/prisma/client.js';
import { AppError } from '../../utils/AppError.js';
import { pageArgs, pageOf, type Page } from '../../validators/common.js';
import type { AuditLogQuery, ListUsersQuery } from '../../validators/adminValidators.js';
import type { PublicUser } from '../../validators/authValidators.js';
import { recordAudit, type AuditContext } from './auditService.js';
import { toPublicUser } from '../auth/authService.js';
import { revokeOtherFamilies } from '../auth/tokenService.js';

export async function listUsers(
  prisma: PrismaClient,
  q: ListUsersQuery,
): Promise<Page<PublicUser & { mfaEnabled: boolean; disabledAt: Date | null; createdAt: Date }>> {
  const where: Prisma.UserWhereInput = {
    ...(q.role ? { role: q.role } : {}),
    ...(q.email ? { email: { contains: q.email.toLowerCase() } } : {}),
  };
  const [rows, total] = await Promise.all([
    prisma.user.findMany({ where, orderBy: { createdAt: 'desc' }, ...pageArgs(q) }),
    prisma.user.count({ where }),
  ]);
  return pageOf(
    rows.map((u) => ({
      ...toPublicUser(u),
      mfaEnabled: u.mfaEnabled,
      disabledAt: u.disabledAt,
      createdAt: u.createdAt,
    })),
    q,
    total,
  );
}

export async function setRole(
  prisma: PrismaClient,
  userId: string,
  role: 'user' | 'admin',
  ctx: AuditContext,
): Promise<PublicUser> {
  const user = await prisma.user.findUnique({ where: { id: userId } });
  if (!user) throw AppError.notFound('User');
  const updated = await prisma.user.update({ where: { id: userId }, data: { role } });
  await recordAudit(prisma, ctx, {
    action: 'user.role_change',
    targetType: 'user',
    targetId: userId,
    metadata: { from: user.role, to: role },
  });
  return toPublicUser(updated);
}

/**
 * Disables or re-enables an account. Disabling revokes every session of the user, and the
 * session check refuses a disabled user's access tokens on their next request; login and
 * refresh refuse the account until it is enabled again (then the user logs in anew).
 */
export async function setDisabled(
  prisma: PrismaClient,
  userId: string,
  disabled: boolean,
  ctx: AuditContext,
): Promise<PublicUser & { disabledAt: Date | null }> {
  const user = await prisma.user.findUnique({ where: { id: userId } });
  if (!user) throw AppError.notFound('User');
  if (disabled && userId === ctx.actorId) throw new AppError('CONFLICT', 'An admin cannot disable their own account');
  const updated =
    disabled === !!user.disabledAt
      ? user
      : await prisma.user.update({ where: { id: userId }, data: { disabledAt: disabled ? new Date() : null } });
  const revokedSessions = disabled ? await revokeOtherFamilies(prisma, userId, undefined, 'account disabled') : 0;
  await recordAudit(prisma, ctx, {
    action: disabled ? 'user.disable' : 'user.enable',
    targetType: 'user',
    targetId: userId,
    ...(disabled ? { metadata: { revokedSessions } } : {}),
  });
  return { ...toPublicUser(updated), disabledAt: updated.disabledAt };
}

export async function listAuditLogs(prisma: PrismaClient, q: AuditLogQuery) {
  const where: Prisma.AuditLogWhereInput = {
    ...(q.action ? { action: q.action } : {}),
    ...(q.actorId ? { actorId: q.actorId } : {}),
    ...(q.targetId ? { targetId: q.targetId } : {}),
    ...(q.from || q.to ? { createdAt: { ...(q.from ? { gte: q.from } : {}), ...(q.to ? { lte: q.to } : {}) } } : {}),
  };
  const [rows, total] = await Promise.all([
    prisma.auditLog.findMany({ where, orderBy: { id: 'desc' }, ...pageArgs(q) }),
    prisma.auditLog.count({ where }),
  ]);
  return pageOf(
    rows.map((r) => ({ ...r, id: r.id.toString() })),
    q,
    total,
  );
}
