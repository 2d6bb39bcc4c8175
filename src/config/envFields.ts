/** Field types of the environment schema (env.ts): flags, lists and key rings. */
import { z } from 'zod';

export const booleanish = z
  .enum(['true', 'false', '1', '0', 'yes', 'no'])
  .transform((v) => v === 'true' || v === '1' || v === 'yes');

export const csv = z.string().transform((v) =>
  v
    .split(',')
    .map((s) => s.trim())
    .filter(Boolean),
);

/** "v1:<base64 32 bytes>,v2:<...>" -> ordered key ring; the last entry encrypts. */
export const keyRing = z.string().transform((value, ctx) => {
  const entries = value
    .split(',')
    .map((s) => s.trim())
    .filter(Boolean);
  const ring: { version: string; key: Buffer }[] = [];
  for (const entry of entries) {
    const [version, b64] = entry.includes(':') ? entry.split(':', 2) : ['v1', entry];
    const key = Buffer.from(b64 ?? '', 'base64');
    if (!version || key.length !== 32) {
      ctx.addIssue({ code: 'custom', message: `key "${version}" must be 32 bytes in base64` });
      return z.NEVER;
    }
    ring.push({ version, key });
  }
  if (ring.length === 0) {
    ctx.addIssue({ code: 'custom', message: 'at least one key is required' });
    return z.NEVER;
  }
  return ring;
});

/** "kid1:secret,kid2:secret" -> JWT signing key ring; the last entry signs. */
export const jwtKeyRing = z.string().transform((value, ctx) => {
  const ring = value
    .split(',')
    .map((s) => s.trim())
    .filter(Boolean)
    .map((entry) => {
      const i = entry.indexOf(':');
      return i > 0 ? { kid: entry.slice(0, i), secret: entry.slice(i + 1) } : { kid: 'k1', secret: entry };
    });
  if (ring.length === 0 || ring.some((k) => k.secret.length < 32)) {
    ctx.addIssue({ code: 'custom', message: 'every JWT secret must be at least 32 characters' });
    return z.NEVER;
  }
  return ring;
});

export const port = z.coerce.number().int().min(0).max(65535);
