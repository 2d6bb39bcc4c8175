/**
 * Backups. `createBackup` writes a compressed, encrypted dump of the database: pg_dump's custom
 * format when a pg_dump at least as new as the server is installed, otherwise the built-in COPY
 * dump. `restoreBackup` loads one into an empty database; `verifyBackup` restores the newest
 * into a scratch database and compares row counts with the manifest. Everything streams, so
 * memory does not grow with the database. File format: services/backup/archiveCipher.ts.
 */
import { createReadStream, createWriteStream } from 'node:fs';
import { mkdir, rename, rm, stat } from 'node:fs/promises';
import path from 'node:path';
import { pipeline } from 'node:stream/promises';
import pg from 'pg';
import { withDatabase } from '../../db/database.js';
import {
  type BackupKeys,
  BackupError,
  decryptStream,
  encryptStream,
  readEnvelopeHeader,
} from './backup/archiveCipher.js';
import {
  type ArchiveRecord,
  type Compression,
  RecordType,
  compressStream,
  decodeRecords,
  decompressStream,
  parseJsonRecord,
} from './backup/archiveRecords.js';
import { PARTIAL_SUFFIX, applyRetention, backupFileName, newestBackup } from './backup/backupFiles.js';
import { applyBackupMigrations, builtinArchive, restoreBuiltin } from './backup/builtinDump.js';
import {
  appliedMigrations,
  countRows,
  listTables,
  quoteIdent,
  readSequences,
  serverVersion,
} from './backup/catalog.js';
import type { BackupManifest, BackupMethod, ProgressFn } from './backup/manifest.js';
import { type PgTool, findPgTools, pgDumpArchive, pgRestoreArchive } from './backup/nativeDump.js';
import { type VerifyReport, compareCounts } from './backup/verifyReport.js';

export { BackupError, type BackupKeys } from './backup/archiveCipher.js';
export type { BackupManifest, BackupProgress } from './backup/manifest.js';

export interface BackupOptions {
  databaseUrl: string;
  dir: string;
  /** backups kept in `dir`; older ones are deleted after a successful backup */
  retention: number;
  keys: BackupKeys;
  compression?: Compression;
  method?: 'auto' | BackupMethod;
  /** pg_dump to consider instead of the one on PATH */
  pgDumpPath?: string;
  onProgress?: ProgressFn;
}

export interface BackupResult {
  file: string;
  bytes: number;
  method: BackupMethod;
  tables: number;
  rows: number;
  durationMs: number;
  /** backups removed by retention */
  deleted: string[];
}

async function withClient<T>(url: string, fn: (client: pg.Client) => Promise<T>): Promise<T> {
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  try {
    return await fn(client);
  } finally {
    await client.end();
  }
}

async function chooseMethod(
  requested: BackupOptions['method'],
  serverMajor: number,
  pgDumpPath: string | undefined,
): Promise<{ method: 'builtin' } | { method: 'pg_dump'; tool: PgTool }> {
  if (requested === 'builtin') return { method: 'builtin' };
  const tool = await findPgTools(pgDumpPath);
  if (tool && tool.major >= serverMajor) return { method: 'pg_dump', tool };
  if (requested === 'pg_dump') {
    throw new BackupError(
      tool
        ? `pg_dump ${tool.version} cannot dump PostgreSQL ${serverMajor}: install pg_dump >= ${serverMajor} or use the built-in format`
        : `pg_dump not found (${pgDumpPath ?? 'PATH'}): install it or use the built-in format`,
    );
  }
  return { method: 'builtin' };
}

/** Writes one encrypted backup of the database into `options.dir`, then applies retention. */
export async function createBackup(options: BackupOptions): Promise<BackupResult> {
  const started = Date.now();
  const createdAt = new Date();
  const compression = options.compression ?? 'gzip';
  await mkdir(options.dir, { recursive: true, mode: 0o700 });
  const file = path.join(options.dir, backupFileName(createdAt));
  const partial = `${file}${PARTIAL_SUFFIX}`;
  let manifest: BackupManifest;
  const client = new pg.Client({ connectionString: options.databaseUrl });
  await client.connect();
  try {
    // One snapshot for the counts, the data and pg_dump: the backup is the database at one instant.
    await client.query('BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY');
    const server = await serverVersion(client);
    const choice = await chooseMethod(options.method, server.major, options.pgDumpPath);
    const tables = await listTables(client);
    manifest = {
      format: 1,
      createdAt: createdAt.toISOString(),
      method: choice.method,
      serverVersion: server.version,
      database: client.database ?? '',
      migrations: await appliedMigrations(client),
      tables: [],
      sequences: await readSequences(client),
      ...(choice.method === 'builtin' ? { copyFormat: 'binary' as const } : { pgDumpVersion: choice.tool.version }),
    };
    for (const t of tables) manifest.tables.push({ name: t.name, rows: await countRows(client, t.name) });
    let source: AsyncGenerator<Buffer>;
    if (choice.method === 'builtin') {
      source = builtinArchive(client, manifest, tables, options.onProgress);
    } else {
      const { rows } = await client.query<{ id: string }>('SELECT pg_export_snapshot() AS id');
      const snapshot = rows[0]?.id ?? '';
      source = pgDumpArchive(choice.tool, options.databaseUrl, snapshot, manifest, options.onProgress);
    }
    await pipeline(
      source,
      compressStream(compression),
      encryptStream(options.keys, compression),
      createWriteStream(partial, { mode: 0o600, flags: 'wx' }),
    );
    await client.query('COMMIT');
    await rename(partial, file);
  } catch (err) {
    await rm(partial, { force: true });
    throw err;
  } finally {
    await client.end().catch(() => undefined);
  }
  const deleted = await applyRetention(options.dir, options.retention);
  return {
    file,
    bytes: (await stat(file)).size,
    method: manifest.method,
    tables: manifest.tables.length,
    rows: manifest.tables.reduce((sum, t) => sum + t.rows, 0),
    durationMs: Date.now() - started,
    deleted,
  };
}

/**
 * Decrypts and decompresses `file` as a stream of records and hands the manifest and the rest
 * to `consume`, which must read through to the end record.
 */
async function readArchive<T>(
  file: string,
  keys: BackupKeys,
  consume: (manifest: BackupManifest, records: AsyncIterator<ArchiveRecord>) => Promise<T>,
): Promise<T> {
  const opened = await readEnvelopeHeader(file);
  const decrypt = decryptStream(opened, keys);
  let result: { value: T } | undefined;
  await pipeline(
    createReadStream(file, { start: opened.dataOffset }),
    decrypt,
    decompressStream(opened.header.compression),
    async (source: AsyncIterable<Buffer>) => {
      const records = decodeRecords(source);
      const first = await records.next();
      if (first.done || first.value.type !== RecordType.Manifest) {
        throw new BackupError('backup archive has no manifest (damaged)');
      }
      result = { value: await consume(parseJsonRecord<BackupManifest>(first.value), records) };
    },
  );
  if (!result) throw new BackupError('backup archive could not be read');
  return result.value;
}

export interface RestoreOptions {
  /** an existing, empty database */
  targetUrl: string;
  keys: BackupKeys;
  pgDumpPath?: string;
  onProgress?: ProgressFn;
}

export interface RestoreResult {
  manifest: BackupManifest;
  /** rows per table as the archive recorded them (built-in format) */
  archivedRows?: Map<string, number>;
}

async function assertEmpty(url: string): Promise<void> {
  const tables = await withClient(url, async (c) => {
    const { rows } = await c.query<{ n: number }>(
      `SELECT count(*)::int AS n FROM pg_class c JOIN pg_namespace s ON s.oid = c.relnamespace
       WHERE s.nspname = 'public' AND c.relkind IN ('r', 'p')`,
    );
    return rows[0]?.n ?? 0;
  });
  if (tables > 0)
    throw new BackupError(`restore needs an empty database; ${url.replace(/:[^:@/]*@/, ':***@')} has tables`);
}

/** Restores `file` into the empty database at `options.targetUrl`. */
export async function restoreBackup(file: string, options: RestoreOptions): Promise<RestoreResult> {
  await assertEmpty(options.targetUrl);
  return readArchive(file, options.keys, async (manifest, records) => {
    if (manifest.method === 'builtin') {
      await applyBackupMigrations(options.targetUrl, manifest.migrations);
      const archivedRows = await withClient(options.targetUrl, (c) =>
        restoreBuiltin(c, manifest, records, options.onProgress),
      );
      return { manifest, archivedRows };
    }
    const needed = Number(/^\d+/.exec(manifest.pgDumpVersion ?? '')?.[0] ?? 0);
    const tool = await findPgTools(options.pgDumpPath);
    if (!tool || tool.major < needed) {
      throw new BackupError(
        `this backup was written by pg_dump ${manifest.pgDumpVersion}: pg_restore >= ${needed} is needed`,
      );
    }
    await pgRestoreArchive(tool, options.targetUrl, records);
    return { manifest };
  });
}

export interface VerifyOptions {
  /** the live database; the scratch database is created on the same server */
  databaseUrl: string;
  /** the backup to check; default the newest in `dir` */
  file?: string;
  dir?: string;
  keys: BackupKeys;
  pgDumpPath?: string;
  onProgress?: ProgressFn;
}

/**
 * Restores a backup into a scratch database `llmguard_verify_<time>` on the live server,
 * compares its row counts with the manifest (taken in the dump's snapshot) and with what the
 * archive holds, then drops the scratch database.
 */
export async function verifyBackup(options: VerifyOptions): Promise<VerifyReport> {
  const started = Date.now();
  const file = options.file ?? (await newestBackup(options.dir ?? '.'));
  const stamp = new Date().toISOString().replace(/\D/g, '').slice(0, 14);
  const scratch = `llmguard_verify_${stamp}_${Math.random().toString(36).slice(2, 8)}`;
  const scratchUrl = withDatabase(options.databaseUrl, scratch);
  await withClient(options.databaseUrl, (c) => c.query(`CREATE DATABASE ${quoteIdent(scratch)}`));
  try {
    const { manifest, archivedRows } = await restoreBackup(file, { ...options, targetUrl: scratchUrl });
    const { restored, migrations } = await withClient(scratchUrl, async (c) => {
      const counts = new Map<string, number>();
      for (const t of manifest.tables) counts.set(t.name, await countRows(c, t.name));
      return { restored: counts, migrations: await appliedMigrations(c) };
    });
    const rows = compareCounts(manifest, archivedRows, restored);
    const migrationsMatch = migrations.join(',') === manifest.migrations.join(',');
    const ok = migrationsMatch && rows.every((r) => r.ok);
    return { file, manifest, rows, migrationsMatch, ok, scratchDatabase: scratch, durationMs: Date.now() - started };
  } finally {
    await withClient(options.databaseUrl, (c) =>
      c.query(`DROP DATABASE IF EXISTS ${quoteIdent(scratch)} WITH (FORCE)`),
    );
  }
}
