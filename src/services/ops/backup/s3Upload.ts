/**
 * Off-site copies of backups to an S3-compatible bucket (AWS S3, MinIO, R2, ...) through the
 * official AWS SDK, with the same retention as the local directory. The files are already
 * encrypted, so the bucket never sees plaintext.
 */
import { createReadStream } from 'node:fs';
import { stat } from 'node:fs/promises';
import path from 'node:path';
import { DeleteObjectsCommand, ListObjectsV2Command, PutObjectCommand, S3Client } from '@aws-sdk/client-s3';

export interface S3Target {
  bucket: string;
  prefix: string;
  region: string;
  endpoint?: string;
  forcePathStyle: boolean;
  accessKeyId?: string;
  secretAccessKey?: string;
}

export function s3Client(target: S3Target): S3Client {
  return new S3Client({
    region: target.region,
    endpoint: target.endpoint,
    forcePathStyle: target.forcePathStyle,
    // Plain bodies with a length: S3-compatible servers do not all speak aws-chunked trailers.
    requestChecksumCalculation: 'WHEN_REQUIRED',
    responseChecksumValidation: 'WHEN_REQUIRED',
    ...(target.accessKeyId && target.secretAccessKey
      ? { credentials: { accessKeyId: target.accessKeyId, secretAccessKey: target.secretAccessKey } }
      : {}),
  });
}

const keyOf = (target: S3Target, file: string) =>
  `${target.prefix.replace(/\/?$/, '/').replace(/^\//, '')}${path.basename(file)}`;

/** Uploads one backup file; returns its object key. */
export async function uploadBackup(client: S3Client, target: S3Target, file: string): Promise<string> {
  const key = keyOf(target, file);
  const { size } = await stat(file);
  await client.send(
    new PutObjectCommand({
      Bucket: target.bucket,
      Key: key,
      Body: createReadStream(file),
      ContentLength: size,
      ContentType: 'application/octet-stream',
    }),
  );
  return key;
}

/** Deletes all but the newest `keep` backups under the prefix (names sort by time); returns the deleted keys. */
export async function applyS3Retention(client: S3Client, target: S3Target, keep: number): Promise<string[]> {
  const prefix = keyOf(target, '');
  const keys: string[] = [];
  let token: string | undefined;
  do {
    const page = await client.send(
      new ListObjectsV2Command({ Bucket: target.bucket, Prefix: prefix, ContinuationToken: token }),
    );
    for (const o of page.Contents ?? []) if (o.Key && /llmguard-backup-.*\.lgbk$/.test(o.Key)) keys.push(o.Key);
    token = page.IsTruncated ? page.NextContinuationToken : undefined;
  } while (token);
  const doomed = keys.sort().slice(0, Math.max(0, keys.length - keep));
  if (doomed.length > 0) {
    await client.send(
      new DeleteObjectsCommand({ Bucket: target.bucket, Delete: { Objects: doomed.map((Key) => ({ Key })) } }),
    );
  }
  return doomed;
}
