/** What a backup needs to know about the database: tables, FK order, sequences, migrations. */
import pg from 'pg';
import { BackupError } from './archiveCipher.js';

/** Prisma's bookkeeping table: restored by applying the recorded migrations, not copied. */
export const MIGRATIONS_TABLE = '_prisma_migrations';

export interface TableInfo {
  name: string;
  /** stored columns in order; generated and derived columns (llm_requests.search) are recomputed */
  columns: string[];
  partitioned: boolean;
}

export const quoteIdent = (name: string): string => pg.escapeIdentifier(name);

export function columnList(columns: string[]): string {
  return columns.map(quoteIdent).join(', ');
}

/** Orders tables so every table comes after the tables its foreign keys point to. */
export function foreignKeyOrder(names: string[], edges: { child: string; parent: string }[]): string[] {
  const parents = new Map(names.map((n) => [n, new Set<string>()]));
  for (const { child, parent } of edges) {
    if (child !== parent && parents.has(parent)) parents.get(child)?.add(parent); // self-refs: checked per statement
  }
  const ordered: string[] = [];
  const remaining = new Set([...names].sort());
  while (remaining.size > 0) {
    const next = [...remaining].find((n) => [...(parents.get(n) ?? [])].every((p) => !remaining.has(p)));
    if (!next) throw new BackupError(`foreign keys form a cycle between ${[...remaining].join(', ')}`);
    ordered.push(next);
    remaining.delete(next);
  }
  return ordered;
}

/**
 * Tables of the public schema (except the migrations table), in foreign-key-safe order. The log
 * search vector is left out: its trigger builds it again on restore (a large row's by the sweep of
 * services/ingest/deferredSearch.ts), so archives carry no derived copy of every text.
 */
export async function listTables(client: pg.ClientBase): Promise<TableInfo[]> {
  const { rows } = await client.query<{ name: string; columns: string[]; partitioned: boolean }>(
    `
    SELECT c.relname AS name, c.relkind = 'p' AS partitioned,
           array_agg(a.attname::text ORDER BY a.attnum) AS columns
    FROM pg_class c
    JOIN pg_namespace n ON n.oid = c.relnamespace
    JOIN pg_attribute a ON a.attrelid = c.oid AND a.attnum > 0 AND NOT a.attisdropped AND a.attgenerated = ''
      AND NOT (c.relname = 'llm_requests' AND a.attname = 'search')
    WHERE n.nspname = 'public' AND c.relkind IN ('r', 'p') AND NOT c.relispartition AND c.relname <> $1
    GROUP BY c.relname, c.relkind`,
    [MIGRATIONS_TABLE],
  );
  const { rows: edges } = await client.query<{ child: string; parent: string }>(`
    SELECT ch.relname AS child, pa.relname AS parent
    FROM pg_constraint k
    JOIN pg_class ch ON ch.oid = k.conrelid
    JOIN pg_class pa ON pa.oid = k.confrelid
    JOIN pg_namespace n ON n.oid = ch.relnamespace
    WHERE k.contype = 'f' AND n.nspname = 'public'`);
  const byName = new Map(rows.map((r) => [r.name, r]));
  return foreignKeyOrder([...byName.keys()], edges).map((name) => byName.get(name) as TableInfo);
}

export async function countRows(client: pg.ClientBase, table: string): Promise<number> {
  const { rows } = await client.query<{ n: string }>(`SELECT count(*)::text AS n FROM ${quoteIdent(table)}`);
  return Number(rows[0]?.n ?? 0);
}

export interface SequenceValue {
  name: string;
  /** bigint as text; null when the sequence was never used */
  lastValue: string | null;
}

export async function readSequences(client: pg.ClientBase): Promise<SequenceValue[]> {
  const { rows } = await client.query<SequenceValue>(
    `SELECT sequencename AS name, last_value::text AS "lastValue" FROM pg_sequences
     WHERE schemaname = 'public' ORDER BY sequencename`,
  );
  return rows;
}

export async function restoreSequences(client: pg.ClientBase, sequences: SequenceValue[]): Promise<void> {
  for (const s of sequences) {
    if (s.lastValue === null) continue;
    await client.query(`SELECT setval(format('public.%I', $1::text)::regclass, $2::bigint, true)`, [
      s.name,
      s.lastValue,
    ]);
  }
}

/** Names of the migrations applied to the database, oldest first. */
export async function appliedMigrations(client: pg.ClientBase): Promise<string[]> {
  const { rows: exists } = await client.query<{ ok: boolean }>(
    `SELECT to_regclass(format('public.%I', $1::text)) IS NOT NULL AS ok`,
    [MIGRATIONS_TABLE],
  );
  if (!exists[0]?.ok) return [];
  const { rows } = await client.query<{ name: string }>(
    `SELECT migration_name AS name FROM ${quoteIdent(MIGRATIONS_TABLE)}
     WHERE finished_at IS NOT NULL AND rolled_back_at IS NULL ORDER BY migration_name`,
  );
  return rows.map((r) => r.name);
}

export async function serverVersion(client: pg.ClientBase): Promise<{ version: string; major: number }> {
  const { rows } = await client.query<{ version: string; num: string }>(
    `SELECT current_setting('server_version') AS version, current_setting('server_version_num') AS num`,
  );
  return { version: rows[0]?.version ?? '', major: Math.floor(Number(rows[0]?.num ?? 0) / 10_000) };
}

/**
 * Drops the indexes that back no constraint (restores load faster and build them once, as
 * pg_restore does) and returns their definitions for recreateIndexes. Meant for a transaction.
 * A partition's own index goes with its parent's (dropped and rebuilt through the parent).
 */
export async function dropSecondaryIndexes(client: pg.ClientBase): Promise<string[]> {
  const { rows } = await client.query<{ name: string; def: string }>(`
    SELECT quote_ident(ic.relname) AS name, pg_get_indexdef(i.indexrelid) AS def
    FROM pg_index i
    JOIN pg_class ic ON ic.oid = i.indexrelid
    JOIN pg_namespace n ON n.oid = ic.relnamespace
    WHERE n.nspname = 'public' AND NOT ic.relispartition
      AND NOT EXISTS (SELECT 1 FROM pg_constraint k WHERE k.conindid = i.indexrelid)`);
  for (const index of rows) await client.query(`DROP INDEX ${index.name}`);
  return rows.map((r) => r.def);
}

export async function recreateIndexes(client: pg.ClientBase, definitions: string[]): Promise<void> {
  for (const def of definitions) await client.query(def);
}
