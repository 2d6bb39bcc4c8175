/** What a backup says about itself (the first record of the archive, encrypted with the rest). */
import type { SequenceValue } from './catalog.js';

export type BackupMethod = 'builtin' | 'pg_dump';

export interface ManifestTable {
  name: string;
  /** count(*) in the dump's snapshot: what the live database held at dump time */
  rows: number;
}

export interface BackupManifest {
  format: 1;
  createdAt: string;
  method: BackupMethod;
  serverVersion: string;
  database: string;
  /** applied Prisma migrations; the built-in restore recreates the schema from them */
  migrations: string[];
  tables: ManifestTable[];
  sequences: SequenceValue[];
  /** built-in: the COPY format of the table data */
  copyFormat?: 'binary';
  /** pg_dump: the version that wrote the data (pg_restore must be at least as new) */
  pgDumpVersion?: string;
}

/** Progress of a dump or restore, for a progress line on stderr. */
export interface BackupProgress {
  phase: 'dump' | 'restore';
  tablesDone: number;
  tablesTotal: number;
  rows: number;
  /** table being copied (built-in format) */
  table?: string;
  /** bytes of pg_dump output so far (native format) */
  bytes?: number;
}

export type ProgressFn = (progress: BackupProgress) => void;

/** Calls `fn` at most every `ms` unless forced (the last event of a table is always shown). */
export function throttled(fn: ProgressFn | undefined, ms = 1000): (p: BackupProgress, force?: boolean) => void {
  let last = 0;
  return (p, force = false) => {
    const now = Date.now();
    if (!fn || (!force && now - last < ms)) return;
    last = now;
    fn(p);
  };
}

/** One human line, e.g. "dump: 3/16 tables, 12,000 rows (llm_requests)". */
export function formatProgress(p: BackupProgress): string {
  const what =
    p.bytes === undefined ? `${p.rows.toLocaleString('en')} rows` : `${(p.bytes / 1e6).toFixed(1)} MB from pg_dump`;
  return `${p.phase}: ${p.tablesDone}/${p.tablesTotal} tables, ${what}${p.table ? ` (${p.table})` : ''}`;
}
