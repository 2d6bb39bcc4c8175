/**
 * Per config version figures of one project over a range, from the raw rows (rollups are per
 * model, not per version): requests, errors, exact latency percentiles, cost and average risk.
 * The (projectId, createdAt) index bounds the scan to the project's rows in the range.
 */
import type { MetricsRange } from '../../validators/metricsValidators.js';
import { utc } from './logSearch.js';
import type { SqlClient } from './rollupQueries.js';

export interface ConfigVersionAggregate {
  version: number | null;
  requests: number;
  errors: number;
  p50LatencyMs: number | null;
  p95LatencyMs: number | null;
  costUsd: number;
  avgRiskScore: number | null;
}

export function configVersionAggregates(
  db: SqlClient,
  projectId: string,
  range: Pick<MetricsRange, 'from' | 'to'>,
): Promise<ConfigVersionAggregate[]> {
  return db.$queryRaw<ConfigVersionAggregate[]>`
    SELECT "configVersion" AS version,
      count(*)::int AS requests,
      (count(*) FILTER (WHERE status = 'error'))::int AS errors,
      percentile_disc(0.5) WITHIN GROUP (ORDER BY "latencyMs") AS "p50LatencyMs",
      percentile_disc(0.95) WITHIN GROUP (ORDER BY "latencyMs") AS "p95LatencyMs",
      COALESCE(sum("costUsd"), 0)::float8 AS "costUsd",
      avg("riskScore")::float8 AS "avgRiskScore"
    FROM llm_requests
    WHERE "projectId" = ${projectId} AND "createdAt" >= ${utc(range.from)} AND "createdAt" < ${utc(range.to)}
    GROUP BY "configVersion"
    ORDER BY "configVersion" NULLS FIRST`;
}
