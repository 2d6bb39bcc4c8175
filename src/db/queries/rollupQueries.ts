/**
 * Writing `metric_rollups`: the per-batch upsert of the ingestion writer, and the re-derivation
 * of a time range from raw `llm_requests` (the daily repair, and the benchmark's build).
 * Both count latencies into the same buckets as domain/metrics/histogram, so percentiles read from
 * either agree with `percentileFromHistogram` on the raw latencies.
 */
import { Prisma } from '../../generated/prisma/client.js';
import { HISTOGRAM_BUCKET_COUNT, LATENCY_BUCKET_BOUNDS_MS } from '../../domain/metrics/histogram.js';
import { HIGH_RISK_SCORE, type RollupDelta } from '../../domain/metrics/rollupDeltas.js';
import type { PrismaClient } from '../prisma.js';
import { utc } from './logSearch.js';

/** A client or a transaction: everything here is plain SQL. */
export type SqlClient = Pick<PrismaClient, '$queryRaw' | '$executeRaw'>;

const BOUND_COUNT = LATENCY_BUCKET_BOUNDS_MS.length;
/** The bounds negated and ascending, as a literal (shortest round-trip decimals: exact doubles). */
const NEGATED_BOUNDS = Prisma.raw(
  `ARRAY[${[...LATENCY_BUCKET_BOUNDS_MS]
    .reverse()
    .map((b) => String(-b))
    .join(',')}]::float8[]`,
);

/**
 * SQL for `bucketIndex(latency)` (0-based): the number of bounds strictly below the latency.
 * width_bucket counts thresholds <= its operand, so on negated bounds it counts bounds >= latency.
 */
export function latencyBucketSql(latency: Prisma.Sql): Prisma.Sql {
  return Prisma.sql`(${BOUND_COUNT} - width_bucket(-(${latency})::float8, ${NEGATED_BOUNDS}))`;
}

/** `ARRAY[sum(col[1]), ..., sum(col[55])]::float8[]`: element-wise sum of histograms, one pass. */
export function histogramSumSql(column: string): Prisma.Sql {
  const sums = Array.from({ length: HISTOGRAM_BUCKET_COUNT }, (_, i) => `coalesce(sum(${column}[${i + 1}]), 0)`);
  return Prisma.raw(`ARRAY[${sums.join(', ')}]::float8[]`);
}

/** `ARRAY[sum(n) FILTER (WHERE b = 0), ...]`: a histogram from (bucket, count) rows. */
function histogramFromBucketsSql(bucket: string, count: string, cast: string): Prisma.Sql {
  const cells = Array.from(
    { length: HISTOGRAM_BUCKET_COUNT },
    (_, i) => `coalesce(sum(${count}) FILTER (WHERE ${bucket} = ${i}), 0)`,
  );
  return Prisma.raw(`ARRAY[${cells.join(', ')}]::${cast}[]`);
}

/**
 * Adds the deltas of one committed batch in a single statement, so metric_rollups and
 * metric_latency_hours are never seen out of step (two statements outside a transaction let a
 * reader see one table's share of a batch without the other's). Rows are inserted in key order
 * so that two concurrent batches lock shared rollup rows in the same order (no deadlock); a
 * project purged meanwhile is skipped instead of failing the whole batch on its foreign key.
 * Returns the number of metric_rollups rows inserted or updated.
 */
export async function upsertRollupDeltas(db: SqlClient, deltas: readonly RollupDelta[]): Promise<number> {
  if (deltas.length === 0) return 0;
  return db.$executeRaw`
    WITH latency_hours AS (${latencyHoursUpsertSql(deltas)})
    ${rollupRowsUpsertSql(JSON.stringify(deltas))}`;
}

/** The same batch's histograms summed per (project, hour), upserted into metric_latency_hours. */
function latencyHoursUpsertSql(deltas: readonly RollupDelta[]): Prisma.Sql {
  const byHour = new Map<string, { projectId: string; hour: Date; latencyHist: number[] }>();
  for (const d of deltas) {
    const key = `${d.projectId}|${d.hour.getTime()}`;
    const entry = byHour.get(key);
    if (!entry) byHour.set(key, { projectId: d.projectId, hour: d.hour, latencyHist: [...d.latencyHist] });
    else d.latencyHist.forEach((n, i) => (entry.latencyHist[i] = (entry.latencyHist[i] ?? 0) + n));
  }
  const rows = [...byHour.values()].sort((a, b) =>
    a.projectId === b.projectId ? a.hour.getTime() - b.hour.getTime() : a.projectId < b.projectId ? -1 : 1,
  );
  return Prisma.sql`
    INSERT INTO metric_latency_hours ("projectId", "hour", "latencyHist")
    SELECT d."projectId", d."hour", d."latencyHist"
    FROM jsonb_to_recordset(${JSON.stringify(rows)}::jsonb) AS d("projectId" text, "hour" timestamp(3), "latencyHist" int[])
    WHERE EXISTS (SELECT 1 FROM projects p WHERE p.id = d."projectId")
    ORDER BY d."projectId", d."hour"
    ON CONFLICT ("projectId", "hour") DO UPDATE SET
      "latencyHist" = (
        SELECT array_agg(coalesce(u.a, 0) + coalesce(u.b, 0) ORDER BY u.i)
        FROM unnest(metric_latency_hours."latencyHist", EXCLUDED."latencyHist") WITH ORDINALITY AS u(a, b, i))`;
}

function rollupRowsUpsertSql(json: string): Prisma.Sql {
  return Prisma.sql`
    INSERT INTO metric_rollups ("projectId", "hour", "model", "endpoint", "requests", "errors", "promptTokens",
      "completionTokens", "costUsd", "unpricedRequests", "latencySumMs", "latencyHist", "riskSum", "highRiskCount")
    SELECT d."projectId", d."hour", d."model", d."endpoint", d."requests", d."errors", d."promptTokens",
      d."completionTokens", d."costUsd", d."unpricedRequests", d."latencySumMs", d."latencyHist", d."riskSum",
      d."highRiskCount"
    FROM jsonb_to_recordset(${json}::jsonb) AS d("projectId" text, "hour" timestamp(3), "model" text,
      "endpoint" text, "requests" int, "errors" int, "promptTokens" bigint, "completionTokens" bigint,
      "costUsd" float8, "unpricedRequests" int, "latencySumMs" bigint, "latencyHist" int[], "riskSum" bigint,
      "highRiskCount" int)
    WHERE EXISTS (SELECT 1 FROM projects p WHERE p.id = d."projectId")
    ORDER BY d."projectId", d."hour", d."model", d."endpoint"
    ON CONFLICT ("projectId", "hour", "model", "endpoint") DO UPDATE SET
      "requests" = metric_rollups."requests" + EXCLUDED."requests",
      "errors" = metric_rollups."errors" + EXCLUDED."errors",
      "promptTokens" = metric_rollups."promptTokens" + EXCLUDED."promptTokens",
      "completionTokens" = metric_rollups."completionTokens" + EXCLUDED."completionTokens",
      "costUsd" = metric_rollups."costUsd" + EXCLUDED."costUsd",
      "unpricedRequests" = metric_rollups."unpricedRequests" + EXCLUDED."unpricedRequests",
      "latencySumMs" = metric_rollups."latencySumMs" + EXCLUDED."latencySumMs",
      "latencyHist" = (
        SELECT array_agg(coalesce(u.a, 0) + coalesce(u.b, 0) ORDER BY u.i)
        FROM unnest(metric_rollups."latencyHist", EXCLUDED."latencyHist") WITH ORDINALITY AS u(a, b, i)),
      "riskSum" = metric_rollups."riskSum" + EXCLUDED."riskSum",
      "highRiskCount" = metric_rollups."highRiskCount" + EXCLUDED."highRiskCount"`;
}

/**
 * Replaces the rollups of the UTC hours in [from, to) by sums over the raw rows of that range.
 * Two statements: call it inside a transaction so readers never see the range half rebuilt.
 * Only for ranges whose raw rows are still retained, or their rollups would be emptied.
 */
export async function rebuildRollups(
  db: SqlClient,
  from: Date,
  to: Date,
): Promise<{ deleted: number; inserted: number }> {
  const deleted = await db.$executeRaw`
    DELETE FROM metric_rollups WHERE "hour" >= ${utc(from)} AND "hour" < ${utc(to)}`;
  // Grouped by bucket first, so the 55 filtered sums run over a few rows per rollup key.
  const inserted = await db.$executeRaw`
    INSERT INTO metric_rollups ("projectId", "hour", "model", "endpoint", "requests", "errors", "promptTokens",
      "completionTokens", "costUsd", "unpricedRequests", "latencySumMs", "latencyHist", "riskSum", "highRiskCount")
    SELECT "projectId", "hour", model, endpoint, sum(n)::int, sum(errors)::int, sum(pt)::bigint, sum(ct)::bigint,
      coalesce(sum(cost), 0), sum(unpriced)::int, sum(lat)::bigint, ${histogramFromBucketsSql('b', 'n', 'int')},
      sum(risk)::bigint, sum(high)::int
    FROM (
      SELECT "projectId", date_trunc('hour', "createdAt") AS "hour", model, coalesce(endpoint, '') AS endpoint,
        ${latencyBucketSql(Prisma.sql`"latencyMs"`)} AS b,
        count(*) AS n,
        count(*) FILTER (WHERE status = 'error') AS errors,
        sum(coalesce("promptTokens", 0)) AS pt,
        sum(coalesce("completionTokens", 0)) AS ct,
        sum("costUsd") AS cost,
        count(*) FILTER (WHERE "costUsd" IS NULL) AS unpriced,
        sum("latencyMs") AS lat,
        sum("riskScore") AS risk,
        count(*) FILTER (WHERE "riskScore" >= ${HIGH_RISK_SCORE}) AS high
      FROM llm_requests
      WHERE "createdAt" >= ${utc(from)} AND "createdAt" < ${utc(to)}
      GROUP BY 1, 2, 3, 4, 5
    ) per_bucket
    GROUP BY 1, 2, 3, 4`;
  await db.$executeRaw`
    DELETE FROM metric_latency_hours WHERE "hour" >= ${utc(from)} AND "hour" < ${utc(to)}`;
  await db.$executeRaw`
    INSERT INTO metric_latency_hours ("projectId", "hour", "latencyHist")
    SELECT "projectId", "hour", ${histogramFromBucketsSql('b', 'n', 'int')}
    FROM (
      SELECT "projectId", date_trunc('hour', "createdAt") AS "hour", ${latencyBucketSql(Prisma.sql`"latencyMs"`)} AS b,
        count(*) AS n
      FROM llm_requests
      WHERE "createdAt" >= ${utc(from)} AND "createdAt" < ${utc(to)}
      GROUP BY 1, 2, 3
    ) per_bucket
    GROUP BY 1, 2`;
  return { deleted, inserted };
}

/** Deletes up to `batchSize` raw rows of one project older than `cutoff`; returns how many. */
export function deleteRequestsBefore(db: SqlClient, projectId: string, cutoff: Date, batchSize: number) {
  return db.$executeRaw`
    DELETE FROM llm_requests WHERE "projectId" = ${projectId} AND id IN (
      SELECT id FROM llm_requests WHERE "projectId" = ${projectId} AND "createdAt" < ${utc(cutoff)} LIMIT ${batchSize})`;
}

/** Every live project with its owner's plan (no subscription row means free). */
export function projectsWithPlan(db: SqlClient) {
  return db.$queryRaw<{ id: string; plan: string | null }[]>`
    SELECT p.id, s.plan::text AS plan FROM projects p LEFT JOIN subscriptions s ON s."userId" = p."ownerId"
    WHERE p."deletedAt" IS NULL`;
}
