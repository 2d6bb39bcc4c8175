/**
 * Sessions: an access JWT plus an opaque refresh token stored hashed, in a family. Every
 * refresh rotates the token; presenting an already-rotated token means it was stolen or
 * replayed, so the whole family is revoked.
 */
import { env } from '../../config/env.js';
import type { PrismaClient } from '../../db/prisma.js';
import { AppError } from '../../utils/AppError.js';
import { randomToken, sha256Hex } from '../../utils/crypto.js';
import { signAccessToken, defaultJwtConfig } from '../../utils/jwt.js';
import { recordAudit, type AuditContext } from '../ops/auditService.js';
import { DAY_MS } from '../../utils/time.js';

export interface TokenPair {
  accessToken: string;
  refreshToken: string;
  expiresIn: number;
}

const REFRESH_TTL_MS = env.REFRESH_TOKEN_TTL_DAYS * DAY_MS;

async function newRefreshToken(prisma: PrismaClient, familyId: string): Promise<string> {
  const token = `lgr_${randomToken(32)}`;
  await prisma.refreshToken.create({
    data: { familyId, tokenHash: sha256Hex(token), expiresAt: new Date(Date.now() + REFRESH_TTL_MS) },
  });
  return token;
}

async function pairFor(
  prisma: PrismaClient,
  user: { id: string; role: 'user' | 'admin' },
  familyId: string,
): Promise<TokenPair> {
  const [accessToken, refreshToken] = await Promise.all([
    signAccessToken({ sub: user.id, role: user.role, fid: familyId }),
    newRefreshToken(prisma, familyId),
  ]);
  return { accessToken, refreshToken, expiresIn: defaultJwtConfig.ttlSeconds };
}

/** Starts a new session (family) for a user who just proved who they are. */
export async function startSession(
  prisma: PrismaClient,
  user: { id: string; role: 'user' | 'admin' },
  ctx: AuditContext,
): Promise<TokenPair> {
  const family = await prisma.refreshTokenFamily.create({
    data: { userId: user.id, ip: ctx.ip ?? null, userAgent: ctx.userAgent?.slice(0, 512) ?? null },
  });
  return pairFor(prisma, user, family.id);
}

const invalid = () => new AppError('UNAUTHORIZED', 'Invalid or expired refresh token');

/** Exchanges a refresh token for a new pair; reuse of a rotated token revokes its family. */
export async function rotateRefreshToken(prisma: PrismaClient, token: string, ctx: AuditContext): Promise<TokenPair> {
  const row = await prisma.refreshToken.findUnique({
    where: { tokenHash: sha256Hex(token) },
    include: { family: { include: { user: { select: { id: true, role: true, disabledAt: true } } } } },
  });
  if (!row || row.family.revokedAt || row.family.user.disabledAt) throw invalid();
  if (row.rotatedAt) {
    await revokeFamily(prisma, row.familyId, 'refresh token reuse');
    await recordAudit(
      prisma,
      { ...ctx, actorId: row.family.userId },
      {
        action: 'auth.refresh_reuse',
        targetType: 'session',
        targetId: row.familyId,
      },
    );
    throw invalid();
  }
  if (row.expiresAt <= new Date()) throw invalid();
  // Only one concurrent exchange of the same token may win.
  const claimed = await prisma.refreshToken.updateMany({
    where: { id: row.id, rotatedAt: null },
    data: { rotatedAt: new Date() },
  });
  if (claimed.count === 0) {
    await revokeFamily(prisma, row.familyId, 'refresh token reuse');
    throw invalid();
  }
  return pairFor(prisma, row.family.user, row.familyId);
}

export async function revokeFamily(prisma: PrismaClient, familyId: string, reason: string): Promise<void> {
  await prisma.refreshTokenFamily.updateMany({
    where: { id: familyId, revokedAt: null },
    data: { revokedAt: new Date(), revokedReason: reason },
  });
}

/** Revokes the family of a refresh token (logout); unknown tokens are ignored. Returns the user id. */
export async function revokeByToken(prisma: PrismaClient, token: string): Promise<string | null> {
  const row = await prisma.refreshToken.findUnique({
    where: { tokenHash: sha256Hex(token) },
    include: { family: true },
  });
  if (!row) return null;
  await revokeFamily(prisma, row.familyId, 'logout');
  return row.family.userId;
}

/** Revokes every session of a user except `keepFamilyId` (after a password change, or all when disabled). */
export async function revokeOtherFamilies(
  prisma: PrismaClient,
  userId: string,
  keepFamilyId?: string,
  reason = 'password changed',
): Promise<number> {
  const { count } = await prisma.refreshTokenFamily.updateMany({
    where: { userId, revokedAt: null, ...(keepFamilyId ? { id: { not: keepFamilyId } } : {}) },
    data: { revokedAt: new Date(), revokedReason: reason },
  });
  return count;
}

/** Who a live session belongs to, as the database says now. */
export interface SessionPrincipal {
  userId: string;
  role: 'user' | 'admin';
}

/**
 * The user of a session that is alive (not logged out or revoked) and whose account is not
 * disabled, with the user's current role; null otherwise. Read on every dashboard request, so
 * a role change or a disable takes effect on the very next request, whatever the access token
 * says (its `role` claim is informational only).
 */
export async function sessionPrincipal(prisma: PrismaClient, familyId: string): Promise<SessionPrincipal | null> {
  const family = await prisma.refreshTokenFamily.findUnique({
    where: { id: familyId },
    select: { revokedAt: true, user: { select: { id: true, role: true, disabledAt: true } } },
  });
  if (!family || family.revokedAt || family.user.disabledAt) return null;
  return { userId: family.user.id, role: family.user.role };
}
