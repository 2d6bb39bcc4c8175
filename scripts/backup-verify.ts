/**
 * npm run backup:verify [-- <file>]: restores the newest backup in BACKUP_DIR (or <file>) into a
 * scratch database on the same server, compares row counts per table with the manifest, drops
 * the scratch database. Exit code 1 when anything differs or the file cannot be read.
 */
import { verifyBackup } from '../src/services/ops/backupService.js';
import { backupDir, backupKeys, openDatabaseForBackup, stderrProgress } from '../src/services/ops/backup/fromEnv.js';
import { formatVerifyReport } from '../src/services/ops/backup/verifyReport.js';
import { env } from '../src/config/env.js';

const db = await openDatabaseForBackup((m) => console.error(m));
try {
  const report = await verifyBackup({
    databaseUrl: db.url,
    file: process.argv[2],
    dir: backupDir(),
    keys: backupKeys(),
    pgDumpPath: env.PG_DUMP_PATH,
    onProgress: stderrProgress(),
  });
  console.log(formatVerifyReport(report));
  if (!report.ok) process.exitCode = 1;
} catch (err) {
  console.error(`backup verification failed: ${(err as Error).message}`);
  process.exitCode = 1;
} finally {
  await db.close();
}
