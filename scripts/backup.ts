/**
 * npm run backup: an encrypted, compressed backup of the database (embedded unless DATABASE_URL)
 * into BACKUP_DIR, keeping the newest BACKUP_RETENTION_COUNT. Progress goes to stderr.
 */
import { createBackup } from '../src/services/ops/backupService.js';
import { backupOptions, openDatabaseForBackup, shipToS3, stderrProgress } from '../src/services/ops/backup/fromEnv.js';

const db = await openDatabaseForBackup((m) => console.error(m));
try {
  const result = await createBackup(backupOptions(db.url, stderrProgress()));
  console.log(
    `backup written: ${result.file}\n` +
      `  ${result.method} format, ${result.tables} tables, ${result.rows.toLocaleString('en')} rows, ` +
      `${(result.bytes / 1024).toFixed(1)} KiB, ${result.durationMs} ms`,
  );
  for (const file of result.deleted) console.log(`  retention: deleted ${file}`);
  const shipped = await shipToS3(result.file);
  if (shipped) {
    console.log(`  uploaded to s3://${process.env.BACKUP_S3_BUCKET}/${shipped.key}`);
    for (const key of shipped.deleted) console.log(`  s3 retention: deleted ${key}`);
  }
} catch (err) {
  console.error(`backup failed: ${(err as Error).message}`);
  process.exitCode = 1;
} finally {
  await db.close();
}
