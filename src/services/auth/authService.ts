/**
 * Register, login, refresh and logout. Wrong email and wrong password give the same 401 and
 * cost the same bcrypt comparison. Every outcome is audit-logged.
 */
import type { PrismaClient } from '../../db/prisma.js';
import { Prisma, type User } from '../../generated/prisma/client.js';
import { AppError } from '../../utils/AppError.js';
import { DAY_MS } from '../../utils/time.js';
import { DUMMY_PASSWORD_HASH, hashPassword, passwordProblems, verifyPassword } from '../../utils/password.js';
import type { LoginInput, PublicUser, RegisterInput } from '../../validators/authValidators.js';
import { recordAudit, type AuditContext } from '../ops/auditService.js';
import { verifyMfaForLogin } from './mfaService.js';
import { revokeByToken, rotateRefreshToken, startSession, type TokenPair } from './tokenService.js';

export function toPublicUser(user: Pick<User, 'id' | 'email' | 'name' | 'role'>): PublicUser {
  return { id: user.id, email: user.email, name: user.name, role: user.role };
}

/** Throws 400 VALIDATION_ERROR naming the password rules it breaks. */
export function assertStrongPassword(password: string, userInputs: string[], field = 'password'): void {
  const problems = passwordProblems(password, userInputs);
  if (problems.length > 0) {
    throw new AppError('VALIDATION_ERROR', 'Password is too weak', {
      details: problems.map((message) => ({ path: field, message: `Password ${message}`, code: 'weak_password' })),
    });
  }
}

export async function register(
  prisma: PrismaClient,
  input: RegisterInput,
  ctx: AuditContext,
): Promise<{ user: PublicUser } & TokenPair> {
  assertStrongPassword(input.password, [input.email, input.name ?? '']);
  const passwordHash = await hashPassword(input.password);
  let user: User;
  try {
    user = await prisma.user.create({ data: { email: input.email, name: input.name ?? null, passwordHash } });
  } catch (err) {
    if (err instanceof Prisma.PrismaClientKnownRequestError && err.code === 'P2002') {
      throw new AppError('CONFLICT', 'An account with this email already exists');
    }
    throw err;
  }
  await recordAudit(
    prisma,
    { ...ctx, actorId: user.id },
    { action: 'auth.register', targetType: 'user', targetId: user.id },
  );
  const tokens = await startSession(prisma, user, ctx);
  return { user: toPublicUser(user), ...tokens };
}

export class LoginFailure extends AppError {}

/** Verifies credentials (and MFA) and starts a session. Failures are audit-logged and thrown as 401. */
export async function login(
  prisma: PrismaClient,
  input: LoginInput,
  ctx: AuditContext,
): Promise<{ user: PublicUser } & TokenPair> {
  const user = await prisma.user.findUnique({ where: { email: input.email } });
  const ok = await verifyPassword(input.password, user?.passwordHash ?? DUMMY_PASSWORD_HASH);
  if (!user || !ok) {
    await recordAudit(
      prisma,
      { ...ctx, actorId: user?.id ?? null },
      {
        action: 'auth.login_failure',
        targetType: 'user',
        targetId: user?.id ?? null,
        metadata: { reason: 'bad_credentials' },
      },
    );
    throw new LoginFailure('UNAUTHORIZED', 'Invalid email or password');
  }
  if (user.disabledAt) {
    // Told only to someone who knows the password; not a guess, so not counted as brute force.
    await recordAudit(
      prisma,
      { ...ctx, actorId: user.id },
      {
        action: 'auth.login_failure',
        targetType: 'user',
        targetId: user.id,
        metadata: { reason: 'account_disabled' },
      },
    );
    throw new AppError('FORBIDDEN', 'This account is disabled');
  }
  if (user.mfaEnabled) {
    if (!input.mfaCode) throw new AppError('MFA_REQUIRED', 'This account needs a one-time code (mfaCode)');
    const method = await verifyMfaForLogin(prisma, user, input.mfaCode);
    if (!method) {
      await recordAudit(
        prisma,
        { ...ctx, actorId: user.id },
        {
          action: 'auth.login_failure',
          targetType: 'user',
          targetId: user.id,
          metadata: { reason: 'bad_mfa_code' },
        },
      );
      throw new LoginFailure('UNAUTHORIZED', 'Invalid one-time code');
    }
    if (method === 'recovery_code') {
      await recordAudit(
        prisma,
        { ...ctx, actorId: user.id },
        { action: 'mfa.recovery_code_used', targetType: 'user', targetId: user.id },
      );
    }
  }
  await recordAudit(
    prisma,
    { ...ctx, actorId: user.id },
    { action: 'auth.login_success', targetType: 'user', targetId: user.id },
  );
  const tokens = await startSession(prisma, user, ctx);
  return { user: toPublicUser(user), ...tokens };
}

export function refresh(prisma: PrismaClient, refreshToken: string, ctx: AuditContext): Promise<TokenPair> {
  return rotateRefreshToken(prisma, refreshToken, ctx);
}

export async function logout(prisma: PrismaClient, refreshToken: string, ctx: AuditContext): Promise<void> {
  const userId = await revokeByToken(prisma, refreshToken);
  if (userId)
    await recordAudit(
      prisma,
      { ...ctx, actorId: userId },
      { action: 'auth.logout', targetType: 'user', targetId: userId },
    );
}

/** How far back a successful login makes an IP "known" for its user. */
const KNOWN_IP_DAYS = 90;

/**
 * True when the user with this email started a session from `ip` in the last 90 days. Such an
 * IP may still log in after the email's failures from everywhere used up their limit.
 */
export async function hasLoggedInFrom(prisma: PrismaClient, email: string, ip: string | undefined): Promise<boolean> {
  if (!ip || !email) return false;
  const since = new Date(Date.now() - KNOWN_IP_DAYS * DAY_MS);
  const family = await prisma.refreshTokenFamily.findFirst({
    where: { ip, createdAt: { gte: since }, user: { email } },
    select: { id: true },
  });
  return family !== null;
}
