/**
 * npm run secrets:rotate: re-encrypts every secret column under the newest ENCRYPTION_KEYS entry.
 * Resumable: Ctrl-C stops after the current batch; run it again to continue. Procedure in
 * docs/OPERATIONS.md (append the new key, deploy, rotate, then remove the old key).
 */
import { openDatabase } from '../src/db/database.js';
import { rotateSecrets } from '../src/services/ops/secretRotationService.js';

const stop = new AbortController();
process.once('SIGINT', () => {
  console.error('stopping after the current batch (run again to resume)');
  stop.abort();
});

const db = await openDatabase((m) => console.error(m));
try {
  const report = await rotateSecrets({
    databaseUrl: db.url,
    signal: stop.signal,
    onProgress: (p) => console.error(`${p.table}.${p.column}: ${p.rotated} re-encrypted`),
  });
  console.log(`target key: ${report.keyVersion}`);
  for (const c of report.columns) {
    console.log(
      `  ${`${c.table}.${c.column}`.padEnd(34)} re-encrypted ${String(c.rotated).padStart(7)}   ` +
        `under ${report.keyVersion}: ${c.current}/${c.total}`,
    );
  }
  if (!report.completed) {
    console.log('stopped before the end: run npm run secrets:rotate again to finish');
    process.exitCode = 1;
  }
} catch (err) {
  console.error(`rotation failed: ${(err as Error).message}`);
  process.exitCode = 1;
} finally {
  // Stop the embedded server only if this script started it (not a running API's).
  if (db.embedded?.started) await db.stop();
}
