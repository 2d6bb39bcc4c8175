/**
 * API keys: `lgk_` + 32 random bytes (base64url), so secret scanners can spot a leaked one.
 * Stored as HMAC-SHA-256 with the server pepper, never in clear; the secret is returned only
 * by the call that creates it. Changes are audit-logged and broadcast so every replica's
 * cache forgets the key at once.
 */
import type { PrismaClient } from '../../db/prisma.js';
import type { ApiKey } from '../../generated/prisma/client.js';
import { AppError } from '../../utils/AppError.js';
import { randomToken } from '../../utils/crypto.js';
import { recordAudit, type AuditContext } from '../ops/auditService.js';
import { digestApiKey } from './apiKeyDigest.js';
import type { KeyCache } from './keyCache.js';

export const API_KEY_PREFIX = 'lgk_';
const DISPLAY_PREFIX_LENGTH = API_KEY_PREFIX.length + 8;

export interface PublicApiKey {
  id: string;
  name: string;
  prefix: string;
  key?: string;
  createdAt: Date;
  expiresAt: Date | null;
  lastUsedAt: Date | null;
  revokedAt: Date | null;
}

export function toPublicApiKey(row: ApiKey, key?: string): PublicApiKey {
  return {
    id: row.id,
    name: row.name,
    prefix: row.prefix,
    ...(key ? { key } : {}),
    createdAt: row.createdAt,
    expiresAt: row.expiresAt,
    lastUsedAt: row.lastUsedAt,
    revokedAt: row.revokedAt,
  };
}

type Db = Pick<PrismaClient, 'apiKey' | 'auditLog'>;

/** Creates a key for a project the caller already proved they own. */
export async function createApiKey(
  db: Db,
  projectId: string,
  input: { name?: string; expiresAt?: Date },
  ctx: AuditContext,
): Promise<PublicApiKey> {
  if (input.expiresAt && input.expiresAt <= new Date()) {
    throw new AppError('VALIDATION_ERROR', 'expiresAt must be in the future', {
      details: [{ path: 'expiresAt', message: 'must be in the future', code: 'too_small' }],
    });
  }
  const key = `${API_KEY_PREFIX}${randomToken(32)}`;
  const row = await db.apiKey.create({
    data: {
      projectId,
      name: input.name ?? 'default',
      prefix: key.slice(0, DISPLAY_PREFIX_LENGTH),
      keyHash: digestApiKey(key),
      expiresAt: input.expiresAt ?? null,
      createdById: ctx.actorId ?? null,
    },
  });
  await recordAudit(db, ctx, {
    action: 'apikey.create',
    targetType: 'api_key',
    targetId: row.id,
    metadata: { projectId, name: row.name },
  });
  return toPublicApiKey(row, key);
}

/** Keys that still work (or are inside a rotation grace period), newest first. */
export async function listApiKeys(db: Db, projectId: string): Promise<PublicApiKey[]> {
  const now = new Date();
  const rows = await db.apiKey.findMany({
    where: { projectId, revokedAt: null, OR: [{ expiresAt: null }, { expiresAt: { gt: now } }] },
    orderBy: { createdAt: 'desc' },
  });
  return rows.map((r) => toPublicApiKey(r));
}

async function activeKey(db: Db, projectId: string, apiKeyId: string): Promise<ApiKey> {
  const row = await db.apiKey.findFirst({ where: { id: apiKeyId, projectId, revokedAt: null } });
  if (!row || (row.expiresAt && row.expiresAt <= new Date())) throw AppError.notFound('API key');
  return row;
}

/** Revokes a key now; it fails at once on every replica. */
export async function deleteApiKey(db: Db, cache: KeyCache, projectId: string, apiKeyId: string, ctx: AuditContext) {
  const row = await activeKey(db, projectId, apiKeyId);
  await db.apiKey.update({ where: { id: row.id }, data: { revokedAt: new Date() } });
  await cache.invalidateKey(row.keyHash);
  await recordAudit(db, ctx, {
    action: 'apikey.delete',
    targetType: 'api_key',
    targetId: row.id,
    metadata: { projectId },
  });
}

/** New key now; the old one keeps working for `gracePeriodSeconds` (0: revoked now). */
export async function rotateApiKey(
  { db, cache }: { db: Db; cache: KeyCache },
  {
    projectId,
    apiKeyId,
    gracePeriodSeconds,
    audit: ctx,
  }: { projectId: string; apiKeyId: string; gracePeriodSeconds: number; audit: AuditContext },
): Promise<{ apiKey: PublicApiKey; previous: { id: string; expiresAt: Date } }> {
  const old = await activeKey(db, projectId, apiKeyId);
  const now = new Date();
  const graceEnd = new Date(now.getTime() + gracePeriodSeconds * 1000);
  const expiresAt = old.expiresAt && old.expiresAt < graceEnd ? old.expiresAt : graceEnd;
  await db.apiKey.update({
    where: { id: old.id },
    data: gracePeriodSeconds === 0 ? { revokedAt: now, expiresAt: now } : { expiresAt },
  });
  await cache.invalidateKey(old.keyHash);
  const apiKey = await createApiKey(db, projectId, { name: old.name, expiresAt: old.expiresAt ?? undefined }, ctx);
  await recordAudit(db, ctx, {
    action: 'apikey.rotate',
    targetType: 'api_key',
    targetId: old.id,
    metadata: { projectId, newKeyId: apiKey.id, gracePeriodSeconds },
  });
  return { apiKey, previous: { id: old.id, expiresAt: gracePeriodSeconds === 0 ? now : expiresAt } };
}
