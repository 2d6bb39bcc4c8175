/**
 * npm run backup:restore -- <file> <database>: restores a backup into a NEW database <database>
 * on the configured server (it refuses an existing one). Point DATABASE_URL at it, or rename it,
 * to switch over; see docs/OPERATIONS.md.
 */
import pg from 'pg';
import { withDatabase } from '../src/db/database.js';
import { restoreBackup } from '../src/services/ops/backupService.js';
import { backupKeys, openDatabaseForBackup, stderrProgress } from '../src/services/ops/backup/fromEnv.js';
import { env } from '../src/config/env.js';

const [file, database] = process.argv.slice(2);
if (!file || !database || !/^[a-z_][a-z0-9_]{0,62}$/.test(database)) {
  console.error('usage: npm run backup:restore -- <backup file> <new database name: [a-z_][a-z0-9_]*>');
  process.exit(2);
}

async function admin(sql: string): Promise<void> {
  const client = new pg.Client({ connectionString: db.url });
  await client.connect();
  await client.query(sql).finally(() => client.end());
}

const db = await openDatabaseForBackup((m) => console.error(m));
let created = false;
try {
  await admin(`CREATE DATABASE "${database}"`);
  created = true;
  const { manifest } = await restoreBackup(file, {
    targetUrl: withDatabase(db.url, database),
    keys: backupKeys(),
    pgDumpPath: env.PG_DUMP_PATH,
    onProgress: stderrProgress(),
  });
  const rows = manifest.tables.reduce((sum, t) => sum + t.rows, 0);
  console.log(`restored ${file} (${manifest.createdAt}, ${rows} rows) into database "${database}"`);
} catch (err) {
  console.error(`restore failed: ${(err as Error).message}`);
  // A half-restored database must not be mistaken for a good one.
  if (created) await admin(`DROP DATABASE IF EXISTS "${database}" WITH (FORCE)`).catch(() => undefined);
  process.exitCode = 1;
} finally {
  await db.close();
}
