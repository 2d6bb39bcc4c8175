/**
 * The built-in logical dump, for when no pg_dump is new enough for the server: every table's
 * stored columns streamed with COPY (binary) inside one REPEATABLE READ snapshot, and restored
 * with COPY FROM into a database whose schema is rebuilt from the recorded migrations.
 */
import { once } from 'node:events';
import { finished } from 'node:stream/promises';
import type pg from 'pg';
import { readMigrationList, openSchemaEngine } from '../../../db/schemaEngine.js';
import { BackupError } from './archiveCipher.js';
import { type ArchiveRecord, RecordType, encodeRecord, parseJsonRecord } from './archiveRecords.js';
import {
  type TableInfo,
  columnList,
  dropSecondaryIndexes,
  quoteIdent,
  recreateIndexes,
  restoreSequences,
} from './catalog.js';
import type { BackupManifest, ProgressFn } from './manifest.js';
import { throttled } from './manifest.js';
import { CopyInStream, CopyOutStream } from './pgCopy.js';

function copyOutSql(table: TableInfo): string {
  const cols = columnList(table.columns);
  const source = table.partitioned
    ? `(SELECT ${cols} FROM ${quoteIdent(table.name)})` // COPY cannot read a partitioned table directly
    : `${quoteIdent(table.name)} (${cols})`;
  return `COPY ${source} TO STDOUT (FORMAT binary)`;
}

/** The archive records of a built-in dump; `client` must already be inside the snapshot. */
export async function* builtinArchive(
  client: pg.ClientBase,
  manifest: BackupManifest,
  tables: TableInfo[],
  onProgress?: ProgressFn,
): AsyncGenerator<Buffer> {
  const progress = throttled(onProgress);
  yield encodeRecord(RecordType.Manifest, manifest);
  let rows = 0;
  for (const [i, table] of tables.entries()) {
    yield encodeRecord(RecordType.TableStart, { table: table.name, columns: table.columns });
    const copy = client.query(new CopyOutStream(copyOutSql(table)));
    const state = { phase: 'dump' as const, tablesDone: i, tablesTotal: tables.length, table: table.name };
    for await (const chunk of copy as AsyncIterable<Buffer>) {
      yield encodeRecord(RecordType.Data, chunk);
      progress({ ...state, rows: rows + copy.rows });
    }
    rows += copy.rows;
    yield encodeRecord(RecordType.TableEnd, { table: table.name, rows: copy.rows });
    progress({ ...state, tablesDone: i + 1, rows }, true);
  }
  yield encodeRecord(RecordType.End, { tables: tables.length, rows });
}

/** Creates the schema of the backup: exactly its migrations (later ones apply at next start). */
export async function applyBackupMigrations(targetUrl: string, names: string[]): Promise<void> {
  const list = await readMigrationList();
  const known = new Set(list.migrationDirectories.map((d) => d.path));
  const unknown = names.filter((n) => !known.has(n));
  if (unknown.length > 0) {
    throw new BackupError(
      `the backup's schema has migrations this build does not know (${unknown.join(', ')}): ` +
        'restore it with the release that made it',
    );
  }
  const wanted = new Set(names);
  const handle = await openSchemaEngine(targetUrl);
  try {
    await handle.engine.applyMigrations({
      migrationsList: { ...list, migrationDirectories: list.migrationDirectories.filter((d) => wanted.has(d.path)) },
      filters: { externalTables: [], externalEnums: [] },
    });
  } finally {
    await handle.close();
  }
}

async function write(stream: CopyInStream, chunk: Buffer): Promise<void> {
  if (stream.errored) throw stream.errored;
  if (!stream.write(chunk)) await once(stream, 'drain');
}

function startCopyIn(client: pg.ClientBase, table: string, columns: string[]): CopyInStream {
  const copy = client.query(
    new CopyInStream(`COPY ${quoteIdent(table)} (${columnList(columns)}) FROM STDIN (FORMAT binary)`),
  );
  copy.on('error', () => {}); // surfaced by write() and finished(); never an unhandled 'error'
  return copy;
}

/** The table a restore is loading, and the rows loaded before it. */
interface LoadState {
  copy?: CopyInStream;
  archived: Map<string, number>;
  rows: number;
}

/** Applies one record; returns true at the end record. */
async function applyRecord(client: pg.ClientBase, state: LoadState, record: ArchiveRecord): Promise<boolean> {
  if (record.type === RecordType.TableStart) {
    const { table, columns } = parseJsonRecord<{ table: string; columns: string[] }>(record);
    state.copy = startCopyIn(client, table, columns);
  } else if (record.type === RecordType.Data) {
    if (!state.copy) throw new BackupError('backup archive is damaged (data outside a table)');
    await write(state.copy, record.payload);
  } else if (record.type === RecordType.TableEnd) {
    const { table, rows } = parseJsonRecord<{ table: string; rows: number }>(record);
    const copy = state.copy;
    if (!copy) throw new BackupError('backup archive is damaged (table end without start)');
    copy.end();
    await finished(copy);
    if (copy.rows !== rows) {
      throw new BackupError(`${table}: the archive holds ${rows} rows but the server loaded ${copy.rows}`);
    }
    state.archived.set(table, rows);
    state.rows += rows;
    state.copy = undefined;
  } else if (record.type === RecordType.End) {
    return true;
  } else {
    throw new BackupError(`backup archive is damaged (unknown record type ${record.type})`);
  }
  return false;
}

/**
 * Loads the table data of a built-in archive into `client`'s database (schema already migrated),
 * in one transaction, in the archive's (foreign-key-safe) order, building the secondary indexes
 * after the data. Returns rows per table as the
 * archive recorded them; throws if the server accepted a different number.
 */
export async function restoreBuiltin(
  client: pg.ClientBase,
  manifest: BackupManifest,
  records: AsyncIterator<ArchiveRecord>,
  onProgress?: ProgressFn,
): Promise<Map<string, number>> {
  const progress = throttled(onProgress);
  const state: LoadState = { archived: new Map(), rows: 0 };
  await client.query('BEGIN');
  const indexes = await dropSecondaryIndexes(client);
  try {
    for (;;) {
      const next = await records.next();
      if (next.done) throw new BackupError('backup archive is incomplete (no end record)');
      if (await applyRecord(client, state, next.value)) break;
      if (next.value.type === RecordType.TableEnd) {
        const tablesDone = state.archived.size;
        progress({ phase: 'restore', tablesDone, tablesTotal: manifest.tables.length, rows: state.rows }, true);
      }
    }
  } catch (err) {
    state.copy?.destroy(err as Error); // ends the COPY on the server so the connection stays usable
    throw err;
  }
  if (!(await records.next()).done) throw new BackupError('backup archive has data after its end record');
  await recreateIndexes(client, indexes);
  await restoreSequences(client, manifest.sequences);
  await client.query('COMMIT');
  return state.archived;
}
