import type { PrismaClient } from '../../db/prisma.js';
import { Prisma } from '../../generated/prisma/client.js';
import { AppError } from '../../utils/AppError.js';
import { hashPassword, verifyPassword } from '../../utils/password.js';
import type { PublicUser } from '../../validators/authValidators.js';
import type { ProfileUpdate } from '../../validators/profileValidators.js';
import { recordAudit, type AuditContext } from '../ops/auditService.js';
import { assertStrongPassword, toPublicUser } from './authService.js';
import { revokeOtherFamilies } from './tokenService.js';

export async function getProfile(
  prisma: PrismaClient,
  userId: string,
): Promise<PublicUser & { mfaEnabled: boolean; createdAt: Date }> {
  const user = await prisma.user.findUnique({ where: { id: userId } });
  if (!user) throw AppError.notFound('User');
  return { ...toPublicUser(user), mfaEnabled: user.mfaEnabled, createdAt: user.createdAt };
}

/**
 * Name, email and password changes. Changing the email or the password needs the current
 * password; a password change signs out every other session of the user.
 */
export async function updateProfile(
  prisma: PrismaClient,
  userId: string,
  sessionId: string,
  input: ProfileUpdate,
  ctx: AuditContext,
): Promise<PublicUser & { mfaEnabled: boolean; createdAt: Date }> {
  const user = await prisma.user.findUnique({ where: { id: userId } });
  if (!user) throw AppError.notFound('User');
  const changesEmail = input.email !== undefined && input.email !== user.email;
  if (changesEmail || input.newPassword !== undefined) {
    if (!input.currentPassword || !(await verifyPassword(input.currentPassword, user.passwordHash))) {
      throw new AppError('UNAUTHORIZED', 'The current password is wrong');
    }
  }
  const data: Prisma.UserUpdateInput = {};
  if (input.name !== undefined) data.name = input.name;
  if (changesEmail) data.email = input.email;
  if (input.newPassword !== undefined) {
    assertStrongPassword(input.newPassword, [input.email ?? user.email, input.name ?? user.name ?? ''], 'newPassword');
    data.passwordHash = await hashPassword(input.newPassword);
    data.passwordChangedAt = new Date();
  }
  try {
    await prisma.user.update({ where: { id: userId }, data });
  } catch (err) {
    if (err instanceof Prisma.PrismaClientKnownRequestError && err.code === 'P2002') {
      throw new AppError('CONFLICT', 'An account with this email already exists');
    }
    throw err;
  }
  const audit = { ...ctx, actorId: userId };
  if (changesEmail) {
    await recordAudit(prisma, audit, {
      action: 'user.email_change',
      targetType: 'user',
      targetId: userId,
      metadata: { from: user.email, to: input.email ?? null },
    });
  }
  if (input.newPassword !== undefined) {
    const revoked = await revokeOtherFamilies(prisma, userId, sessionId);
    await recordAudit(prisma, audit, {
      action: 'user.password_change',
      targetType: 'user',
      targetId: userId,
      metadata: { revokedSessions: revoked },
    });
  }
  if (input.name !== undefined && input.name !== user.name) {
    await recordAudit(prisma, audit, { action: 'user.profile_update', targetType: 'user', targetId: userId });
  }
  return getProfile(prisma, userId);
}
