/**
 * The plaintext inside a backup (before compression): a sequence of records
 * `type byte | u32 length | payload`. The manifest comes first so a reader knows the schema
 * and counts before any data; an end record last proves the archive is complete.
 */
import zlib from 'node:zlib';
import type { Transform } from 'node:stream';
import { BackupError } from './archiveCipher.js';

export const RecordType = {
  /** JSON BackupManifest */
  Manifest: 0x4d,
  /** JSON { table, columns } : the COPY data records of this table follow */
  TableStart: 0x54,
  /** raw bytes: COPY data (built-in) or pg_dump's custom-format output (native) */
  Data: 0x44,
  /** JSON { table, rows } : rows COPY wrote */
  TableEnd: 0x45,
  /** JSON { tables, rows } : nothing follows */
  End: 0x5a,
} as const;

export type RecordTypeCode = (typeof RecordType)[keyof typeof RecordType];

export interface ArchiveRecord {
  type: number;
  payload: Buffer;
}

const MAX_RECORD_BYTES = 64 * 1024 * 1024;

export function encodeRecord(type: RecordTypeCode, payload: Buffer | object): Buffer {
  const body = Buffer.isBuffer(payload) ? payload : Buffer.from(JSON.stringify(payload));
  const head = Buffer.alloc(5);
  head[0] = type;
  head.writeUInt32BE(body.length, 1);
  return Buffer.concat([head, body]);
}

/** Splits a byte stream back into records. */
export async function* decodeRecords(source: AsyncIterable<Buffer>): AsyncGenerator<ArchiveRecord> {
  let buffered: Buffer = Buffer.alloc(0);
  for await (const chunk of source) {
    buffered = buffered.length ? Buffer.concat([buffered, chunk]) : chunk;
    while (buffered.length >= 5) {
      const len = buffered.readUInt32BE(1);
      if (len > MAX_RECORD_BYTES) throw new BackupError('backup archive is damaged (oversized record)');
      if (buffered.length < 5 + len) break;
      yield { type: buffered[0] as number, payload: buffered.subarray(5, 5 + len) };
      buffered = buffered.subarray(5 + len);
    }
  }
  if (buffered.length > 0) throw new BackupError('backup archive ends inside a record (damaged)');
}

export function parseJsonRecord<T>(record: ArchiveRecord): T {
  return JSON.parse(record.payload.toString('utf8')) as T;
}

export type Compression = 'gzip' | 'zstd';

/** zstd is in node:zlib from Node.js 22.15 / 23.8; Node 20 has gzip only. */
interface ZstdZlib {
  createZstdCompress?: () => Transform;
  createZstdDecompress?: () => Transform;
}

function zstd(): Required<ZstdZlib> {
  const z = zlib as unknown as ZstdZlib;
  if (!z.createZstdCompress || !z.createZstdDecompress) {
    throw new BackupError(`zstd needs Node.js >= 22.15 (this is ${process.version}); set BACKUP_COMPRESSION=gzip`);
  }
  return z as Required<ZstdZlib>;
}

export function compressStream(compression: Compression): Transform {
  return compression === 'zstd' ? zstd().createZstdCompress() : zlib.createGzip({ level: 6 });
}

export function decompressStream(compression: string): Transform {
  if (compression === 'zstd') return zstd().createZstdDecompress();
  if (compression === 'gzip') return zlib.createGunzip();
  throw new BackupError(`unknown compression "${compression}" in backup header`);
}
