/**
 * The backup settings of this deployment (from config/env), for the scripts and the cron job.
 * The service functions themselves take everything as parameters.
 */
import path from 'node:path';
import { env } from '../../../config/env.js';
import { EMBEDDED_DATABASE, ensureDatabase, withDatabase } from '../../../db/database.js';
import { startEmbeddedPostgres } from '../../../db/embeddedPostgres.js';
import { type BackupOptions, type BackupResult, createBackup } from '../backupService.js';
import type { BackupKeys } from './archiveCipher.js';
import { type ProgressFn, formatProgress } from './manifest.js';
import { applyS3Retention, s3Client, uploadBackup, type S3Target } from './s3Upload.js';

export function backupDir(): string {
  return path.resolve(env.BACKUP_DIR ?? path.join(env.DATA_DIR, 'backups'));
}

export function backupKeys(): BackupKeys {
  return { backup: env.BACKUP_ENCRYPTION_KEY, encryption: env.ENCRYPTION_KEYS };
}

export function backupOptions(databaseUrl: string, onProgress?: ProgressFn): BackupOptions {
  return {
    databaseUrl,
    dir: backupDir(),
    retention: env.BACKUP_RETENTION_COUNT,
    keys: backupKeys(),
    compression: env.BACKUP_COMPRESSION,
    method: env.BACKUP_METHOD,
    pgDumpPath: env.PG_DUMP_PATH,
    onProgress,
  };
}

/** Progress on stderr: one line rewritten in place on a terminal, a line per update otherwise. */
export function stderrProgress(): ProgressFn {
  return (p) => {
    if (process.stderr.isTTY)
      process.stderr.write(`\r\x1b[K${formatProgress(p)}${p.tablesDone === p.tablesTotal ? '\n' : ''}`);
    else process.stderr.write(`${formatProgress(p)}\n`);
  };
}

/**
 * The application database without migrating it (a backup is taken before a migration, not
 * after): DATABASE_URL, or the embedded cluster, adopted if running (the server's) and stopped
 * again only if this call started it.
 */
export async function openDatabaseForBackup(
  log: (message: string) => void = () => {},
): Promise<{ url: string; close(): Promise<void> }> {
  if (env.DATABASE_URL) return { url: env.DATABASE_URL, close: async () => {} };
  const embedded = await startEmbeddedPostgres({
    dataDir: path.join(path.resolve(env.DATA_DIR), 'postgres'),
    port: env.EMBEDDED_PG_PORT,
    log,
  });
  await ensureDatabase(embedded.url, EMBEDDED_DATABASE);
  return {
    url: withDatabase(embedded.url, EMBEDDED_DATABASE),
    close: async () => {
      if (embedded.started) await embedded.stop();
    },
  };
}

/** The daily cron backup: the summary it returns is logged by the scheduler. */
export async function runScheduledBackup(): Promise<
  Omit<BackupResult, 'deleted'> & { deleted: number; s3Key?: string }
> {
  const db = await openDatabaseForBackup();
  try {
    const result = await createBackup(backupOptions(db.url));
    const shipped = await shipToS3(result.file);
    return { ...result, deleted: result.deleted.length, s3Key: shipped?.key };
  } finally {
    await db.close();
  }
}

/** The configured S3 target, or undefined when BACKUP_S3_BUCKET is not set. */
export function s3Target(): S3Target | undefined {
  if (!env.BACKUP_S3_BUCKET) return undefined;
  return {
    bucket: env.BACKUP_S3_BUCKET,
    prefix: env.BACKUP_S3_PREFIX,
    region: env.BACKUP_S3_REGION,
    endpoint: env.BACKUP_S3_ENDPOINT,
    forcePathStyle: env.BACKUP_S3_FORCE_PATH_STYLE,
    accessKeyId: env.BACKUP_S3_ACCESS_KEY_ID,
    secretAccessKey: env.BACKUP_S3_SECRET_ACCESS_KEY,
  };
}

/** Uploads a backup file when S3 is configured and applies the retention there too. */
export async function shipToS3(file: string): Promise<{ key: string; deleted: string[] } | undefined> {
  const target = s3Target();
  if (!target) return undefined;
  const client = s3Client(target);
  try {
    const key = await uploadBackup(client, target, file);
    return { key, deleted: await applyS3Retention(client, target, env.BACKUP_RETENTION_COUNT) };
  } finally {
    client.destroy();
  }
}
