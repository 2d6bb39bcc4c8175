/**
 * Envelope encryption of the gateway's upstream API keys (providerStore.ts): each key version
 * gets a random 256-bit data key that encrypts the API key (AES-256-GCM); the data key itself is
 * encrypted under the server's key ring (utils/crypto, ENCRYPTION_KEYS), and the ring version that
 * did it is stored beside it (`keyId`), so rotating the ring re-encrypts data keys only.
 */
import { createCipheriv, createDecipheriv, randomBytes } from 'node:crypto';
import type { ProviderSecret } from '../../generated/prisma/client.js';
import { type KeyRingEntry, decryptSecret, encryptSecret, keyVersionOf } from '../../utils/crypto.js';

export interface SealedKey {
  dataKeyEnc: string;
  keyId: string;
  ciphertext: string;
  keyHint: string;
}

const IV_BYTES = 12;
const TAG_BYTES = 16;

export const keyHintOf = (apiKey: string) => apiKey.slice(-4);

/** Encrypts an API key under a fresh data key, and the data key under the ring's newest key. */
export function sealProviderKey(apiKey: string, ring?: KeyRingEntry[]): SealedKey {
  const dataKey = randomBytes(32);
  const iv = randomBytes(IV_BYTES);
  const cipher = createCipheriv('aes-256-gcm', dataKey, iv);
  const ct = Buffer.concat([cipher.update(apiKey, 'utf8'), cipher.final()]);
  const dataKeyEnc = encryptSecret(dataKey.toString('base64'), ring);
  return {
    dataKeyEnc,
    keyId: keyVersionOf(dataKeyEnc),
    ciphertext: Buffer.concat([iv, cipher.getAuthTag(), ct]).toString('base64url'),
    keyHint: keyHintOf(apiKey),
  };
}

/** The API key of a sealed version (throws if it was revoked or the ring lacks its key). */
export function openProviderKey(
  secret: Pick<ProviderSecret, 'dataKeyEnc' | 'ciphertext'>,
  ring?: KeyRingEntry[],
): string {
  if (!secret.dataKeyEnc || !secret.ciphertext) throw new Error('provider key version was revoked');
  const dataKey = Buffer.from(decryptSecret(secret.dataKeyEnc, ring), 'base64');
  const raw = Buffer.from(secret.ciphertext, 'base64url');
  const decipher = createDecipheriv('aes-256-gcm', dataKey, raw.subarray(0, IV_BYTES));
  decipher.setAuthTag(raw.subarray(IV_BYTES, IV_BYTES + TAG_BYTES));
  return Buffer.concat([decipher.update(raw.subarray(IV_BYTES + TAG_BYTES)), decipher.final()]).toString('utf8');
}
