/**
 * Metrics reads. The dashboard's numbers come from `metric_rollups`: one scan with GROUPING SETS
 * for the series, models and total, and beside it (on another connection) the element-wise sum
 * of the latency histograms. Summing 55 array elements per rollup row is the expensive part, so
 * it is done once, for the total (p50/p95), not per bucket or model. The raw equivalent over
 * `llm_requests` exists for the benchmark and consistency checks.
 */
import { Prisma } from '../../generated/prisma/client.js';
import { emptyHistogram } from '../../domain/metrics/histogram.js';
import type { AggregateRow, Aggregates } from '../../domain/metrics/metricsReport.js';
import { HIGH_RISK_SCORE } from '../../domain/metrics/rollupDeltas.js';
import type { MetricsRange } from '../../validators/metricsValidators.js';
import { utc } from './logSearch.js';
import { histogramSumSql, latencyBucketSql, type SqlClient } from './rollupQueries.js';

interface RawAggregate extends Omit<AggregateRow, 'kind'> {
  g: number;
}

/** GROUPING(ts, model): 1 = a series bucket, 2 = a model, 3 = the grand total. */
const KINDS = { 1: 'bucket', 2: 'model', 3: 'total' } as const;

function toRows(rows: RawAggregate[]): AggregateRow[] {
  return rows.map(({ g, ...row }) => ({ ...row, kind: KINDS[g as keyof typeof KINDS] }));
}

/** Granularity as a literal: it is one of two validated words, and date_trunc wants a constant. */
const unit = (range: MetricsRange) => Prisma.raw(range.granularity === 'hour' ? "'hour'" : "'day'");

/** Series buckets, per-model rows, the total and the merged latency histogram of one project, from rollups. */
export async function rollupAggregates(db: SqlClient, projectId: string, range: MetricsRange): Promise<Aggregates> {
  const where = Prisma.sql`"projectId" = ${projectId} AND "hour" >= ${utc(range.from)} AND "hour" < ${utc(range.to)}`;
  const [rows, [histRow]] = await Promise.all([
    db.$queryRaw<RawAggregate[]>`
      SELECT ts, model, GROUPING(ts, model)::int AS g,
        sum(requests)::float8 AS requests, sum(errors)::float8 AS errors,
        sum("promptTokens")::float8 AS "promptTokens", sum("completionTokens")::float8 AS "completionTokens",
        sum("costUsd")::float8 AS "costUsd", sum("unpricedRequests")::float8 AS "unpricedRequests",
        sum("latencySumMs")::float8 AS "latencySumMs", sum("riskSum")::float8 AS "riskSum",
        sum("highRiskCount")::float8 AS "highRiskCount"
      FROM (SELECT date_trunc(${unit(range)}, "hour") AS ts, * FROM metric_rollups WHERE ${where}) r
      GROUP BY GROUPING SETS ((ts), (model), ())`,
    db.$queryRaw<{ hist: number[] }[]>`
      SELECT ${histogramSumSql('"latencyHist"')} AS hist FROM metric_latency_hours WHERE ${where}`,
  ]);
  return { rows: toRows(rows), hist: histRow?.hist ?? emptyHistogram() };
}

/** The same answer as rollupAggregates computed from raw rows with GROUP BY (benchmark, checks). */
export async function rawAggregates(db: SqlClient, projectId: string, range: MetricsRange): Promise<Aggregates> {
  const where = Prisma.sql`"projectId" = ${projectId} AND "createdAt" >= ${utc(range.from)} AND "createdAt" < ${utc(range.to)}`;
  const [rows, buckets] = await Promise.all([
    db.$queryRaw<RawAggregate[]>`
      SELECT ts, model, GROUPING(ts, model)::int AS g,
        count(*)::float8 AS requests, count(*) FILTER (WHERE status = 'error')::float8 AS errors,
        coalesce(sum("promptTokens"), 0)::float8 AS "promptTokens",
        coalesce(sum("completionTokens"), 0)::float8 AS "completionTokens",
        coalesce(sum("costUsd"), 0)::float8 AS "costUsd",
        count(*) FILTER (WHERE "costUsd" IS NULL)::float8 AS "unpricedRequests",
        coalesce(sum("latencyMs"), 0)::float8 AS "latencySumMs", coalesce(sum("riskScore"), 0)::float8 AS "riskSum",
        count(*) FILTER (WHERE "riskScore" >= ${HIGH_RISK_SCORE})::float8 AS "highRiskCount"
      FROM (SELECT date_trunc(${unit(range)}, "createdAt") AS ts, * FROM llm_requests WHERE ${where}) r
      GROUP BY GROUPING SETS ((ts), (model), ())`,
    db.$queryRaw<{ b: number; n: number }[]>`
      SELECT ${latencyBucketSql(Prisma.sql`"latencyMs"`)}::int AS b, count(*)::float8 AS n
      FROM llm_requests WHERE ${where} GROUP BY 1`,
  ]);
  const hist = emptyHistogram();
  for (const { b, n } of buckets) hist[b] = n;
  return { rows: toRows(rows), hist };
}
