/**
 * TOTP multi-factor authentication (otplib). The secret is stored encrypted (AES-256-GCM,
 * versioned key ring); recovery codes are random, shown once, stored as SHA-256 and usable once.
 */
import { randomBytes } from 'node:crypto';
import { generateSecret, generateURI, verify } from 'otplib';
import { env } from '../../config/env.js';
import type { PrismaClient } from '../../db/prisma.js';
import type { User } from '../../generated/prisma/client.js';
import { AppError } from '../../utils/AppError.js';
import { decryptSecret, encryptSecret, sha256Hex } from '../../utils/crypto.js';
import { recordAudit, type AuditContext } from '../ops/auditService.js';

const RECOVERY_CODES = 10;

async function totpValid(secretEnc: string | null, code: string): Promise<boolean> {
  if (!secretEnc || !/^\d{6}$/.test(code)) return false;
  const result = await verify({ secret: decryptSecret(secretEnc), token: code, epochTolerance: 30 });
  return result.valid;
}

function normaliseRecoveryCode(code: string): string {
  return code.replace(/[\s-]/g, '').toLowerCase();
}

/** Creates (or replaces, while MFA is off) the pending TOTP secret. */
export async function setupMfa(prisma: PrismaClient, userId: string): Promise<{ secret: string; otpauthUrl: string }> {
  const user = await prisma.user.findUniqueOrThrow({ where: { id: userId } });
  if (user.mfaEnabled) throw new AppError('CONFLICT', 'MFA is already enabled; disable it first');
  const secret = generateSecret();
  await prisma.user.update({ where: { id: userId }, data: { mfaSecretEnc: encryptSecret(secret) } });
  return { secret, otpauthUrl: generateURI({ issuer: env.MFA_ISSUER, label: user.email, secret }) };
}

/** Turns MFA on after a valid code from the pending secret; returns the recovery codes (once). */
export async function enableMfa(
  prisma: PrismaClient,
  userId: string,
  code: string,
  ctx: AuditContext,
): Promise<{ recoveryCodes: string[] }> {
  const user = await prisma.user.findUniqueOrThrow({ where: { id: userId } });
  if (user.mfaEnabled) throw new AppError('CONFLICT', 'MFA is already enabled');
  if (!user.mfaSecretEnc) throw new AppError('VALIDATION_ERROR', 'Call /auth/mfa/setup first');
  if (!(await totpValid(user.mfaSecretEnc, code))) throw new AppError('UNAUTHORIZED', 'Invalid one-time code');
  const recoveryCodes = Array.from({ length: RECOVERY_CODES }, () => randomBytes(6).toString('hex'));
  await prisma.$transaction([
    prisma.mfaRecoveryCode.deleteMany({ where: { userId } }),
    prisma.mfaRecoveryCode.createMany({ data: recoveryCodes.map((c) => ({ userId, codeHash: sha256Hex(c) })) }),
    prisma.user.update({ where: { id: userId }, data: { mfaEnabled: true } }),
  ]);
  await recordAudit(
    prisma,
    { ...ctx, actorId: userId },
    { action: 'mfa.enable', targetType: 'user', targetId: userId },
  );
  return { recoveryCodes };
}

export async function disableMfa(prisma: PrismaClient, userId: string, code: string, ctx: AuditContext): Promise<void> {
  const user = await prisma.user.findUniqueOrThrow({ where: { id: userId } });
  if (!user.mfaEnabled) throw new AppError('CONFLICT', 'MFA is not enabled');
  if (!(await verifyMfaForLogin(prisma, user, code))) throw new AppError('UNAUTHORIZED', 'Invalid one-time code');
  await prisma.$transaction([
    prisma.mfaRecoveryCode.deleteMany({ where: { userId } }),
    prisma.user.update({ where: { id: userId }, data: { mfaEnabled: false, mfaSecretEnc: null } }),
  ]);
  await recordAudit(
    prisma,
    { ...ctx, actorId: userId },
    { action: 'mfa.disable', targetType: 'user', targetId: userId },
  );
}

/** Accepts a current TOTP code or an unused recovery code (which is then spent). */
export async function verifyMfaForLogin(
  prisma: PrismaClient,
  user: Pick<User, 'id' | 'mfaSecretEnc'>,
  code: string,
): Promise<'totp' | 'recovery_code' | null> {
  if (await totpValid(user.mfaSecretEnc, code.trim())) return 'totp';
  const spent = await prisma.mfaRecoveryCode.updateMany({
    where: { userId: user.id, codeHash: sha256Hex(normaliseRecoveryCode(code)), usedAt: null },
    data: { usedAt: new Date() },
  });
  return spent.count > 0 ? 'recovery_code' : null;
}
