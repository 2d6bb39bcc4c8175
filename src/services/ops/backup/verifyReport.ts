/** Row-count comparison of a verified backup, and its table for the terminal. Pure. */
import type { BackupManifest } from './manifest.js';

export interface VerifyRow {
  table: string;
  /** count(*) in the dump's snapshot (the live database at dump time), from the manifest */
  atDump: number;
  /** rows the archive holds (built-in format; pg_dump's archive does not say) */
  archived: number | null;
  /** rows in the restored scratch database */
  restored: number;
  ok: boolean;
}

export interface VerifyReport {
  file: string;
  manifest: BackupManifest;
  rows: VerifyRow[];
  /** the restored database has exactly the migrations the manifest lists */
  migrationsMatch: boolean;
  ok: boolean;
  scratchDatabase: string;
  durationMs: number;
}

export function compareCounts(
  manifest: BackupManifest,
  archived: Map<string, number> | undefined,
  restored: Map<string, number>,
): VerifyRow[] {
  return manifest.tables.map((t) => {
    const inArchive = archived ? (archived.get(t.name) ?? -1) : null;
    const got = restored.get(t.name) ?? -1;
    return {
      table: t.name,
      atDump: t.rows,
      archived: inArchive,
      restored: got,
      ok: got === t.rows && (inArchive === null || inArchive === t.rows),
    };
  });
}

/** A fixed-width table of the comparison, with a verdict line. */
export function formatVerifyReport(report: VerifyReport): string {
  const header = ['table', 'at dump', 'in archive', 'restored', ''];
  const body = report.rows.map((r) => [
    r.table,
    String(r.atDump),
    r.archived === null ? '-' : String(r.archived),
    String(r.restored),
    r.ok ? 'ok' : 'MISMATCH',
  ]);
  const widths = header.map((h, i) => Math.max(h.length, ...body.map((row) => (row[i] ?? '').length)));
  const line = (cells: string[]) =>
    cells
      .map((c, i) => (i === 0 ? c.padEnd(widths[i] ?? 0) : c.padStart(widths[i] ?? 0)))
      .join('  ')
      .trimEnd();
  const m = report.manifest;
  return [
    `backup   ${report.file}`,
    `made     ${m.createdAt} (${m.method}, PostgreSQL ${m.serverVersion}, ${m.migrations.length} migrations)`,
    '',
    line(header),
    ...body.map(line),
    '',
    `migrations ${report.migrationsMatch ? 'match' : 'DIFFER from the manifest'}`,
    report.ok
      ? `OK: ${report.rows.length} tables restored with matching row counts in ${report.durationMs} ms`
      : 'FAILED: the restored database does not match the backup',
  ].join('\n');
}
