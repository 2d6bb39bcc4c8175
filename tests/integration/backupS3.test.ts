import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { applyS3Retention, s3Client, uploadBackup, type S3Target } from '../../src/services/ops/backup/s3Upload.js';
import { startFakeS3 } from '../helpers/fakeS3.js';

const cleanups: (() => Promise<unknown>)[] = [];
afterAll(async () => {
  for (const c of cleanups) await c();
});

describe('off-site backup copies (S3-compatible)', () => {
  it('should upload backup files through the AWS SDK and keep only the newest N there', async () => {
    const s3 = await startFakeS3();
    cleanups.push(() => s3.close());
    const dir = await mkdtemp(path.join(os.tmpdir(), 'llmguard-s3-'));
    cleanups.push(() => rm(dir, { recursive: true, force: true }));
    const target: S3Target = {
      bucket: 'backups',
      prefix: 'prod/',
      region: 'us-east-1',
      endpoint: s3.url,
      forcePathStyle: true,
      accessKeyId: 'test',
      secretAccessKey: 'test-secret',
    };
    const client = s3Client(target);
    cleanups.push(async () => client.destroy());

    const names = ['2026-01-01T00-00-00.000Z', '2026-01-02T00-00-00.000Z', '2026-01-03T00-00-00.000Z'].map(
      (t) => `llmguard-backup-${t}.lgbk`,
    );
    for (const [i, name] of names.entries()) {
      const file = path.join(dir, name);
      await writeFile(file, Buffer.alloc(1024 * (i + 1), i));
      expect(await uploadBackup(client, target, file)).toBe(`prod/${name}`);
      expect(s3.objects.get(`backups/prod/${name}`)).toEqual(await readFile(file));
    }
    const deleted = await applyS3Retention(client, target, 2);
    expect(deleted).toEqual([`prod/${names[0]}`]);
    expect([...s3.objects.keys()].sort()).toEqual([`backups/prod/${names[1]}`, `backups/prod/${names[2]}`]);
  });
});
