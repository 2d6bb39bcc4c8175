/**
 * Secrets at rest: AES-256-GCM with a versioned key ring (the newest key encrypts, every key
 * decrypts), so keys rotate without a flag day. Ciphertext format: `<version>:<base64url(iv|tag|ct)>`.
 * Also the small hashing helpers used for tokens and API keys.
 */
import { createCipheriv, createDecipheriv, createHash, createHmac, randomBytes, timingSafeEqual } from 'node:crypto';
import { env } from '../config/env.js';

export interface KeyRingEntry {
  version: string;
  key: Buffer;
}

const IV_BYTES = 12;
const TAG_BYTES = 16;

export function encryptSecret(plaintext: string, ring: KeyRingEntry[] = env.ENCRYPTION_KEYS): string {
  const current = ring[ring.length - 1];
  if (!current) throw new Error('encryption key ring is empty');
  const iv = randomBytes(IV_BYTES);
  const cipher = createCipheriv('aes-256-gcm', current.key, iv);
  const ct = Buffer.concat([cipher.update(plaintext, 'utf8'), cipher.final()]);
  return `${current.version}:${Buffer.concat([iv, cipher.getAuthTag(), ct]).toString('base64url')}`;
}

export function decryptSecret(ciphertext: string, ring: KeyRingEntry[] = env.ENCRYPTION_KEYS): string {
  const sep = ciphertext.indexOf(':');
  const version = ciphertext.slice(0, sep);
  const entry = ring.find((k) => k.version === version);
  if (sep < 1 || !entry) throw new Error(`no encryption key with version "${version}"`);
  const raw = Buffer.from(ciphertext.slice(sep + 1), 'base64url');
  const decipher = createDecipheriv('aes-256-gcm', entry.key, raw.subarray(0, IV_BYTES));
  decipher.setAuthTag(raw.subarray(IV_BYTES, IV_BYTES + TAG_BYTES));
  return Buffer.concat([decipher.update(raw.subarray(IV_BYTES + TAG_BYTES)), decipher.final()]).toString('utf8');
}

/** Version of the key that encrypted `ciphertext` (rotation re-encrypts older ones). */
export function keyVersionOf(ciphertext: string): string {
  return ciphertext.slice(0, ciphertext.indexOf(':'));
}

export function sha256Hex(value: string): string {
  return createHash('sha256').update(value).digest('hex');
}

export function hmacSha256Hex(value: string | Buffer, secret: string | Buffer): string {
  return createHmac('sha256', secret).update(value).digest('hex');
}

/** URL-safe random token with `bytes` bytes of entropy. */
export function randomToken(bytes = 32): string {
  return randomBytes(bytes).toString('base64url');
}

/** Constant-time string comparison (length leak only). */
export function safeEqual(a: string, b: string): boolean {
  const ab = Buffer.from(a);
  const bb = Buffer.from(b);
  return ab.length === bb.length && timingSafeEqual(ab, bb);
}
