/** Backup file names (sortable UTC timestamps), listing and retention. */
import { readdir, rm, stat } from 'node:fs/promises';
import path from 'node:path';
import { BackupError } from './archiveCipher.js';

const PREFIX = 'llmguard-backup-';
const SUFFIX = '.lgbk';
/** Suffix of a backup being written; renamed only once complete, so a crash leaves no "backup". */
export const PARTIAL_SUFFIX = '.partial';
const STALE_PARTIAL_MS = 24 * 3600_000;

/** e.g. llmguard-backup-2026-05-01T02-45-00.123Z.lgbk (colons are not portable in file names) */
export function backupFileName(at: Date): string {
  return `${PREFIX}${at.toISOString().replaceAll(':', '-')}${SUFFIX}`;
}

/** Backups in `dir`, oldest first (the names sort by time). */
export async function listBackups(dir: string): Promise<string[]> {
  const names = await readdir(dir).catch((err: NodeJS.ErrnoException) => {
    if (err.code === 'ENOENT') return [] as string[];
    throw err;
  });
  return names
    .filter((n) => n.startsWith(PREFIX) && n.endsWith(SUFFIX))
    .sort()
    .map((n) => path.join(dir, n));
}

export async function newestBackup(dir: string): Promise<string> {
  const newest = (await listBackups(dir)).at(-1);
  if (!newest) throw new BackupError(`no backup in ${dir} (run npm run backup first)`);
  return newest;
}

/** Deletes all but the newest `keep` backups (and partial files left by crashed runs). */
export async function applyRetention(dir: string, keep: number): Promise<string[]> {
  const backups = await listBackups(dir);
  const expired = backups.slice(0, Math.max(0, backups.length - keep));
  for (const name of await readdir(dir)) {
    if (!name.startsWith(PREFIX) || !name.endsWith(PARTIAL_SUFFIX)) continue;
    const full = path.join(dir, name);
    const info = await stat(full).catch(() => undefined);
    if (info && Date.now() - info.mtimeMs > STALE_PARTIAL_MS) expired.push(full);
  }
  for (const file of expired) await rm(file, { force: true });
  return expired;
}
