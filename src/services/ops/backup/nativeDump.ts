/**
 * The native format: pg_dump --format=custom inside the backup's snapshot, pg_restore to load
 * it. Used only when a pg_dump at least as new as the server is installed (pg_dump refuses
 * newer servers: Debian 12's pg_dump 15 cannot dump the embedded PostgreSQL 18).
 */
import { execFile, spawn } from 'node:child_process';
import path from 'node:path';
import { promisify } from 'node:util';
import { BackupError } from './archiveCipher.js';
import { type ArchiveRecord, RecordType, encodeRecord } from './archiveRecords.js';
import type { BackupManifest, ProgressFn } from './manifest.js';
import { throttled } from './manifest.js';

const run = promisify(execFile);

export interface PgTool {
  /** path of pg_dump; pg_restore is looked for beside it */
  pgDump: string;
  pgRestore: string;
  major: number;
  version: string;
}

/** The pg_dump at `candidate` (default: the one on PATH), or undefined when it is not installed. */
export async function findPgTools(candidate = 'pg_dump'): Promise<PgTool | undefined> {
  try {
    const { stdout } = await run(candidate, ['--version']);
    const match = /\d[\d.]*/.exec(stdout);
    if (!match) return undefined;
    const pgRestore = candidate.includes(path.sep)
      ? path.join(path.dirname(path.resolve(candidate)), 'pg_restore')
      : 'pg_restore';
    return { pgDump: candidate, pgRestore, major: Number.parseInt(match[0], 10), version: match[0] };
  } catch {
    return undefined;
  }
}

/** libpq takes the URL in --dbname; the password goes through the environment, not argv. */
function connectionArgs(url: string): { dbname: string; env: NodeJS.ProcessEnv } {
  const u = new URL(url);
  const password = decodeURIComponent(u.password);
  u.password = '';
  // eslint-disable-next-line no-restricted-properties -- the child needs PATH, locale etc.
  return { dbname: u.toString(), env: { ...process.env, PGPASSWORD: password, PGCONNECT_TIMEOUT: '10' } };
}

function collect(stream: NodeJS.ReadableStream | null): () => string {
  let text = '';
  stream?.on('data', (d: Buffer) => {
    if (text.length < 16_384) text += d.toString('utf8');
  });
  return () => text.trim();
}

function exited(child: ReturnType<typeof spawn>): Promise<number> {
  return new Promise((resolve, reject) => {
    child.once('error', reject);
    child.once('close', (code) => resolve(code ?? 1));
  });
}

/** The archive records of a native dump of the snapshot `snapshot` (exported by the caller). */
export async function* pgDumpArchive(
  tool: PgTool,
  url: string,
  snapshot: string,
  manifest: BackupManifest,
  onProgress?: ProgressFn,
): AsyncGenerator<Buffer> {
  const progress = throttled(onProgress);
  yield encodeRecord(RecordType.Manifest, manifest);
  const { dbname, env } = connectionArgs(url);
  const child = spawn(
    tool.pgDump,
    ['--format=custom', '--compress=0', `--snapshot=${snapshot}`, '--no-password', `--dbname=${dbname}`],
    { env, stdio: ['ignore', 'pipe', 'pipe'] },
  );
  const stderr = collect(child.stderr);
  const exit = exited(child);
  const state = { phase: 'dump' as const, tablesDone: 0, tablesTotal: manifest.tables.length, rows: 0 };
  let bytes = 0;
  try {
    for await (const chunk of child.stdout as AsyncIterable<Buffer>) {
      bytes += chunk.length;
      yield encodeRecord(RecordType.Data, chunk);
      progress({ ...state, bytes });
    }
    const code = await exit;
    if (code !== 0) throw new BackupError(`pg_dump failed (exit ${code}): ${stderr()}`);
  } finally {
    if (child.exitCode === null) child.kill();
  }
  const rows = manifest.tables.reduce((sum, t) => sum + t.rows, 0);
  progress({ ...state, tablesDone: state.tablesTotal, rows, bytes }, true);
  yield encodeRecord(RecordType.End, { tables: manifest.tables.length, rows });
}

/** Feeds the pg_dump data of an archive to pg_restore into the (empty) database at `url`. */
export async function pgRestoreArchive(
  tool: PgTool,
  url: string,
  records: AsyncIterator<ArchiveRecord>,
): Promise<void> {
  const { dbname, env } = connectionArgs(url);
  const child = spawn(
    tool.pgRestore,
    ['--no-owner', '--no-privileges', '--exit-on-error', '--single-transaction', '--no-password', `--dbname=${dbname}`],
    { env, stdio: ['pipe', 'ignore', 'pipe'] },
  );
  const stderr = collect(child.stderr);
  const exit = exited(child);
  child.stdin.on('error', () => {}); // EPIPE when pg_restore stops early: its exit code says why
  try {
    for (;;) {
      const next = await records.next();
      if (next.done) throw new BackupError('backup archive is incomplete (no end record)');
      if (next.value.type === RecordType.End) break;
      if (next.value.type !== RecordType.Data) throw new BackupError('backup archive is damaged');
      const chunk = next.value.payload;
      await new Promise<void>((resolve, reject) => child.stdin.write(chunk, (err) => (err ? reject(err) : resolve())));
    }
    child.stdin.end();
  } catch (err) {
    child.kill();
    await exit.catch(() => 0);
    const detail = stderr();
    throw detail ? new BackupError(`pg_restore failed: ${detail}`, { cause: err }) : err;
  }
  const code = await exit;
  if (code !== 0) throw new BackupError(`pg_restore failed (exit ${code}): ${stderr()}`);
  if (!(await records.next()).done) throw new BackupError('backup archive has data after its end record');
}
