/** Shared pieces of the self-contained benchmarks: a throw-away database and pretty tables. */
import { readFileSync, readdirSync } from 'node:fs';
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
export async function benchDatabase(name: string, settings?: Record<string, string>): Promise<BenchDb> {
  let serverUrl = process.env.BENCH_DATABASE_URL;
  let stop = async () => {};
  if (!serverUrl) {
    const dir = await mkdtemp(path.join(os.tmpdir(), 'llmguard-bench-'));
    await chmod(dir, 0o755);
    const pg = await startEmbeddedPostgres({ dataDir: dir, port: 0, settings });
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

/** Prints rows (the first is the header) as columns padded to their widest cell. */
export function printTable(rows: string[][]): void {
  const widths = rows[0]!.map((_, j) => Math.max(...rows.map((r) => r[j]!.length)) + 2);
  for (const row of rows) console.log(row.map((c, j) => c.padEnd(widths[j]!)).join(''));
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

const TICKS_PER_SECOND = 100; // Linux USER_HZ

/** CPU seconds (user + system) a process has used so far, from /proc (Linux only; NaN elsewhere). */
export function processCpuSeconds(pid: number): number {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return (Number(fields[11]) + Number(fields[12])) / TICKS_PER_SECOND;
  } catch {
    return NaN;
  }
}

/** CPU seconds used so far by every process whose command name is `comm` (e.g. all postgres backends). */
export function commandCpuSeconds(comm: string): number {
  let total = 0;
  let dirs: string[];
  try {
    dirs = readdirSync('/proc').filter((d) => /^\d+$/.test(d));
  } catch {
    return NaN;
  }
  for (const pid of dirs) {
    try {
      if (readFileSync(`/proc/${pid}/comm`, 'utf8').trim() !== comm) continue;
    } catch {
      continue;
    }
    const s = processCpuSeconds(Number(pid));
    if (Number.isFinite(s)) total += s;
  }
  return total;
}

export interface CpuSample {
  target: number;
  postgres: number;
  loader: number;
}

/** CPU of the server under test, of all PostgreSQL processes and of this (load-generating) process. */
export function sampleCpu(targetPid: number): CpuSample {
  const own = process.cpuUsage();
  return {
    target: processCpuSeconds(targetPid),
    postgres: commandCpuSeconds('postgres'),
    loader: (own.user + own.system) / 1e6,
  };
}

/** CPU milliseconds per request between two samples. */
export function cpuPerRequest(before: CpuSample, after: CpuSample, requests: number): CpuSample {
  const per = (k: keyof CpuSample) => ((after[k] - before[k]) * 1000) / requests;
  return { target: per('target'), postgres: per('postgres'), loader: per('loader') };
}
