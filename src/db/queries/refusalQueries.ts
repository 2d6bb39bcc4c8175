/**
 * Calls a remediation refused, per reason, from raw rows: they are rare, and the partial index
 * llm_requests_refused_idx holds only them (the predicate below repeats its own).
 */
import type { MetricsRange } from '../../validators/metricsValidators.js';
import { utc } from './logSearch.js';
import type { SqlClient } from './rollupQueries.js';

export async function refusalCounts(db: SqlClient, projectId: string, range: MetricsRange) {
  const rows = await db.$queryRaw<{ reason: string; requests: number }[]>`
    SELECT coalesce("refusalReason", 'other') AS reason, count(*)::float8 AS requests FROM llm_requests
    WHERE "projectId" = ${projectId} AND outcome <> 'accepted'
      AND "createdAt" >= ${utc(range.from)} AND "createdAt" < ${utc(range.to)}
    GROUP BY 1 ORDER BY 1`;
  const byReason: Record<string, number> = { endpoint_disabled: 0, user_rate_limited: 0 };
  for (const r of rows) byReason[r.reason] = r.requests;
  return { total: rows.reduce((sum, r) => sum + r.requests, 0), byReason };
}
