/**
 * llm_requests is partitioned by month of "createdAt" (migration 20261204155503). Partitions are
 * created ahead, at start-up and by the hourly cron job, so the first row of a month never falls
 * into the default partition; retention drops whole months (docs/SCALING.md).
 */
import type { SqlClient } from '../../db/queries/rollupQueries.js';

const MONTH_AHEAD = 2;

/** First day (UTC) of the month `offset` months from the one `d` is in, as YYYY-MM-DD. */
export function monthStart(d: Date, offset = 0): string {
  return new Date(Date.UTC(d.getUTCFullYear(), d.getUTCMonth() + offset, 1)).toISOString().slice(0, 10);
}

/**
 * Creates the partitions of the current month and the `monthsAhead` next ones that are missing
 * (under an advisory lock: replicas may call it together); returns the names created.
 */
export async function ensureRequestPartitions(
  db: SqlClient,
  options: { now?: Date; monthsBack?: number; monthsAhead?: number } = {},
): Promise<string[]> {
  const now = options.now ?? new Date();
  const from = monthStart(now, -(options.monthsBack ?? 0));
  const to = monthStart(now, (options.monthsAhead ?? MONTH_AHEAD) + 1);
  const rows = await db.$queryRaw<{ name: string }[]>`
    SELECT llmguard_create_request_partitions(${from}::date, ${to}::date) AS name`;
  return rows.map((r) => r.name);
}

/** Drops the month partitions that end on or before `before`; returns their names. */
export async function dropRequestPartitionsBefore(db: SqlClient, before: Date): Promise<string[]> {
  const day = before.toISOString().slice(0, 10);
  const rows = await db.$queryRaw<{ name: string }[]>`
    SELECT llmguard_drop_request_partitions(${day}::date) AS name`;
  return rows.map((r) => r.name);
}
