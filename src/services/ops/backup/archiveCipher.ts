/**
 * The encrypted envelope of a backup file:
 *
 *   "LLMGBAK\x01" | u32 header length | header JSON | chunk* (the last one flagged final)
 *   chunk = u32 (bit 31: final, bits 0-30: ciphertext length) | ciphertext | 16-byte GCM tag
 *
 * Each chunk is sealed on its own (AES-256-GCM, nonce = chunk index + final flag, the header as
 * associated data) so restore never acts on unauthenticated bytes, and a cut-off or reordered
 * file fails. The key is derived per file (HKDF with a random salt) from a key-ring entry whose
 * id the header names, so a rotated ring still opens old backups as long as it keeps that id.
 */
import { createCipheriv, createDecipheriv, hkdfSync, randomBytes } from 'node:crypto';
import { open } from 'node:fs/promises';
import { Transform, type TransformCallback } from 'node:stream';
import type { KeyRingEntry } from '../../../utils/crypto.js';

export class BackupError extends Error {
  override name = 'BackupError';
}

const MAGIC = Buffer.from('LLMGBAK\x01', 'latin1');
const TAG_BYTES = 16;
const FINAL_BIT = 0x80000000;
const MAX_HEADER_BYTES = 64 * 1024;
export const CHUNK_BYTES = 64 * 1024;

export type KeySource = 'BACKUP_ENCRYPTION_KEY' | 'ENCRYPTION_KEYS';

/** The dedicated backup ring (optional) and the secrets-at-rest ring used when it is unset. */
export interface BackupKeys {
  backup?: KeyRingEntry[];
  encryption: KeyRingEntry[];
}

export interface EnvelopeHeader {
  format: 1;
  keySource: KeySource;
  keyVersion: string;
  /** base64 HKDF salt, fresh per file */
  salt: string;
  compression: string;
  chunkBytes: number;
}

function fileKey(master: Buffer, salt: Buffer): Buffer {
  return Buffer.from(hkdfSync('sha256', master, salt, 'llmguard-backup/v1', 32));
}

function nonce(index: number, final: boolean): Buffer {
  const n = Buffer.alloc(12);
  n.writeUIntBE(index, 3, 6);
  n[11] = final ? 1 : 0;
  return n;
}

function newestKey(keys: BackupKeys): { source: KeySource; entry: KeyRingEntry } {
  const [source, ring]: [KeySource, KeyRingEntry[]] = keys.backup?.length
    ? ['BACKUP_ENCRYPTION_KEY', keys.backup]
    : ['ENCRYPTION_KEYS', keys.encryption];
  const entry = ring[ring.length - 1];
  if (!entry) throw new BackupError(`${source} is empty: no key to encrypt the backup with`);
  return { source, entry };
}

function serializeHeader(header: EnvelopeHeader): Buffer {
  const json = Buffer.from(JSON.stringify(header));
  const len = Buffer.alloc(4);
  len.writeUInt32BE(json.length);
  return Buffer.concat([MAGIC, len, json]);
}

/** A Transform that writes the envelope header, then seals its input in chunks. */
export function encryptStream(keys: BackupKeys, compression: string): Transform {
  const { source, entry } = newestKey(keys);
  const salt = randomBytes(16);
  const headerBytes = serializeHeader({
    format: 1,
    keySource: source,
    keyVersion: entry.version,
    salt: salt.toString('base64'),
    compression,
    chunkBytes: CHUNK_BYTES,
  });
  const key = fileKey(entry.key, salt);
  let index = 0;
  let pending: Buffer[] = [];
  let pendingBytes = 0;

  const seal = (plain: Buffer, final: boolean): Buffer => {
    const cipher = createCipheriv('aes-256-gcm', key, nonce(index++, final));
    cipher.setAAD(headerBytes);
    const ct = Buffer.concat([cipher.update(plain), cipher.final()]);
    const len = Buffer.alloc(4);
    len.writeUInt32BE((ct.length | (final ? FINAL_BIT : 0)) >>> 0);
    return Buffer.concat([len, ct, cipher.getAuthTag()]);
  };

  const transform = new Transform({
    transform(chunk: Buffer, _enc, done: TransformCallback) {
      pending.push(chunk);
      pendingBytes += chunk.length;
      // Keep at least one byte back: only flush() knows which chunk is the final one.
      if (pendingBytes > CHUNK_BYTES) {
        let all = Buffer.concat(pending);
        while (all.length > CHUNK_BYTES) {
          this.push(seal(all.subarray(0, CHUNK_BYTES), false));
          all = all.subarray(CHUNK_BYTES);
        }
        pending = [all];
        pendingBytes = all.length;
      }
      done();
    },
    flush(done: TransformCallback) {
      this.push(seal(Buffer.concat(pending), true));
      done();
    },
  });
  transform.push(headerBytes);
  return transform;
}

export interface OpenedEnvelope {
  header: EnvelopeHeader;
  headerBytes: Buffer;
  /** where the first chunk starts */
  dataOffset: number;
}

/** Reads and checks the clear-text header of a backup file. */
export async function readEnvelopeHeader(file: string): Promise<OpenedEnvelope> {
  const handle = await open(file, 'r');
  try {
    const head = Buffer.alloc(MAGIC.length + 4);
    const { bytesRead } = await handle.read(head, 0, head.length, 0);
    if (bytesRead < head.length || !head.subarray(0, MAGIC.length).equals(MAGIC)) {
      throw new BackupError(`${file} is not an LLMGuard backup (unknown file signature)`);
    }
    const len = head.readUInt32BE(MAGIC.length);
    if (len > MAX_HEADER_BYTES) throw new BackupError(`${file}: header is damaged`);
    const json = Buffer.alloc(len);
    await handle.read(json, 0, len, head.length);
    let header: EnvelopeHeader;
    try {
      header = JSON.parse(json.toString('utf8')) as EnvelopeHeader;
    } catch {
      throw new BackupError(`${file}: header is damaged`);
    }
    if (header.format !== 1) throw new BackupError(`${file}: unsupported backup format ${String(header.format)}`);
    return { header, headerBytes: Buffer.concat([head, json]), dataOffset: head.length + len };
  } finally {
    await handle.close();
  }
}

/** A Transform that opens the chunks following the header (authenticating each before output). */
export function decryptStream(opened: OpenedEnvelope, keys: BackupKeys): Transform {
  const { header, headerBytes } = opened;
  const ring = header.keySource === 'BACKUP_ENCRYPTION_KEY' ? keys.backup : keys.encryption;
  const entry = ring?.find((k) => k.version === header.keyVersion);
  if (!entry) {
    throw new BackupError(
      `this backup was encrypted with ${header.keySource} key "${header.keyVersion}", which is not in the ` +
        `configured ${header.keySource}: add that key back (anywhere but last) to read it`,
    );
  }
  const key = fileKey(entry.key, Buffer.from(header.salt, 'base64'));
  let index = 0;
  let sawFinal = false;
  let buffered: Buffer = Buffer.alloc(0);

  return new Transform({
    transform(chunk: Buffer, _enc, done: TransformCallback) {
      buffered = buffered.length ? Buffer.concat([buffered, chunk]) : chunk;
      while (buffered.length >= 4) {
        if (sawFinal) return done(new BackupError('backup file has data after its final chunk (damaged)'));
        const word = buffered.readUInt32BE(0);
        const final = (word & FINAL_BIT) !== 0;
        const len = word & ~FINAL_BIT;
        if (len > header.chunkBytes) return done(new BackupError(`backup file is damaged at chunk ${index}`));
        if (buffered.length < 4 + len + TAG_BYTES) break;
        const decipher = createDecipheriv('aes-256-gcm', key, nonce(index, final));
        decipher.setAAD(headerBytes);
        decipher.setAuthTag(buffered.subarray(4 + len, 4 + len + TAG_BYTES));
        try {
          this.push(Buffer.concat([decipher.update(buffered.subarray(4, 4 + len)), decipher.final()]));
        } catch {
          return done(
            new BackupError(
              `backup failed authentication at chunk ${index}: the file was modified or damaged, ` +
                `or key "${header.keyVersion}" is not the key it was written with`,
            ),
          );
        }
        index++;
        sawFinal = final;
        buffered = buffered.subarray(4 + len + TAG_BYTES);
      }
      done();
    },
    flush(done: TransformCallback) {
      if (!sawFinal || buffered.length > 0) return done(new BackupError('backup file is truncated (damaged)'));
      done();
    },
  });
}
