/** Shared pieces of the self-contained benchmarks: a throw-away database and pretty tables. */
import { chmod, mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { ensureDatabase, withDatabase } from '../src/db/database.js';
import { startEmbeddedPostgres } from '../src/db/embeddedPostgres.js';
import { applyMigrations } from '../src/db/schemaEngine.js';

export interface BenchDb {
  url: string;
  close(): Promise<void>;
}

/** BENCH_DATABASE_URL's server, or a fresh embedded PostgreSQL; a new migrated database either way. */
export async function benchDatabase(name: string): Promise<BenchDb> {
  let serverUrl = process.env.BENCH_DATABASE_URL;
  let stop = async () => {};
  if (!serverUrl) {
    const dir = await mkdtemp(path.join(os.tmpdir(), 'llmguard-bench-'));
    await chmod(dir, 0o755);
    const pg = await startEmbeddedPostgres({ dataDir: dir, port: 0 });
    serverUrl = pg.url;
    stop = async () => {
      await pg.stop();
      await rm(dir, { recursive: true, force: true });
    };
  }
  const dbName = `${name}_${Date.now()}`;
  await ensureDatabase(serverUrl, dbName);
  const url = withDatabase(serverUrl, dbName);
  await applyMigrations(url);
  return { url, close: stop };
}

export function percentile(sorted: number[], p: number): number {
  if (sorted.length === 0) return NaN;
  const i = Math.min(sorted.length - 1, Math.max(0, Math.ceil(p * sorted.length) - 1));
  return sorted[i]!;
}

export function progress(label: string, done: number, total: number): void {
  const width = 30;
  const filled = Math.round((done / total) * width);
  process.stderr.write(
    `\r${label} [${'#'.repeat(filled)}${'.'.repeat(width - filled)}] ${done.toLocaleString()}/${total.toLocaleString()}`,
  );
  if (done >= total) process.stderr.write('\n');
}
