/**
 * Building the /metrics and /metrics/usage answers from aggregate rows (however they were
 * summed: rollups or raw rows). Pure: no I/O, no clock.
 *
 * Rounding: costs to 8 decimals (as stored per request), averages and percentiles to 2, rates
 * to 4. With no requests, rates and averages are 0 and percentiles null. Percentiles come from
 * the merged latency histogram of the whole range (summary only).
 */
import { fillSeries, percentileFromHistogram, type SeriesGranularity } from './histogram.js';
import type { RollupSums } from './rollupDeltas.js';
import { RISK_LEVELS } from '../../types/vocabulary.js';

export type Sums = RollupSums;

/** One row of a GROUPING SETS ((bucket), (model), ()) aggregate. */
export interface AggregateRow extends Sums {
  kind: 'bucket' | 'model' | 'total';
  ts: Date | null;
  model: string | null;
}

/** Everything one metrics answer is built from: the grouped sums and the range's latency histogram. */
export interface Aggregates {
  rows: AggregateRow[];
  /** merged latency histogram of the whole range (domain/metrics/histogram buckets) */
  hist: number[];
}

export const round = (value: number, decimals: number) => {
  const factor = 10 ** decimals;
  return Math.round(value * factor) / factor;
};

export const ratio = (part: number, whole: number, decimals: number) => (whole > 0 ? round(part / whole, decimals) : 0);

function percentile(hist: readonly number[], p: number): number | null {
  const value = percentileFromHistogram(hist, p);
  return value === null ? null : round(value, 2);
}

/** Aggregate rows may carry nulls (SUM over nothing); they count as 0. */
function clean(row: Partial<Sums>): Sums {
  const n = (v: number | null | undefined) => Number(v ?? 0);
  return {
    requests: n(row.requests),
    errors: n(row.errors),
    promptTokens: n(row.promptTokens),
    completionTokens: n(row.completionTokens),
    costUsd: n(row.costUsd),
    unpricedRequests: n(row.unpricedRequests),
    latencySumMs: n(row.latencySumMs),
    riskSum: n(row.riskSum),
    highRiskCount: n(row.highRiskCount),
  };
}

function common(s: Sums) {
  return {
    requests: s.requests,
    errors: s.errors,
    errorRate: ratio(s.errors, s.requests, 4),
    promptTokens: s.promptTokens,
    completionTokens: s.completionTokens,
    totalTokens: s.promptTokens + s.completionTokens,
    costUsd: round(s.costUsd, 8),
    unpricedRequests: s.unpricedRequests,
    avgLatencyMs: ratio(s.latencySumMs, s.requests, 2),
  };
}

export interface SeriesPoint {
  ts: Date;
  requests: number;
  errors: number;
  errorRate: number;
  promptTokens: number;
  completionTokens: number;
  totalTokens: number;
  costUsd: number;
  avgLatencyMs: number;
}

const zeroPoint = (ts: Date): SeriesPoint => ({
  ts,
  requests: 0,
  errors: 0,
  errorRate: 0,
  promptTokens: 0,
  completionTokens: 0,
  totalTokens: 0,
  costUsd: 0,
  avgLatencyMs: 0,
});

export interface ReportRange {
  from: Date;
  /** exclusive, aligned to the granularity */
  to: Date;
  granularity: SeriesGranularity;
}

/** summary, byModel (most requests first) and a gap-free series over [from, to). */
export function buildMetricsReport({ rows, hist }: Aggregates, range: ReportRange) {
  const total = clean(rows.find((r) => r.kind === 'total') ?? {});
  const models = rows
    .filter((r) => r.kind === 'model' && r.model !== null)
    .map((r) => ({ model: r.model as string, ...clean(r) }))
    .filter((m) => m.requests > 0)
    .sort((a, b) => b.requests - a.requests || (a.model < b.model ? -1 : a.model > b.model ? 1 : 0));

  const { requests, errors, ...rest } = common(total);
  const summary = {
    totalRequests: requests,
    errorCount: errors,
    ...rest,
    unpricedModels: models.filter((m) => m.unpricedRequests > 0).map((m) => m.model),
    p50LatencyMs: percentile(hist, 0.5),
    p95LatencyMs: percentile(hist, 0.95),
    avgRiskScore: ratio(total.riskSum, total.requests, 2),
    highRiskCount: total.highRiskCount,
  };

  const byModel = models.map((m) => {
    const c = common(m);
    // A model with no priced request has an unknown cost, not a zero one.
    return { model: m.model, ...c, costUsd: m.unpricedRequests === m.requests ? null : c.costUsd };
  });

  const points = rows
    .filter((r) => r.kind === 'bucket' && r.ts !== null)
    .map((r): SeriesPoint => {
      const c = common(clean(r));
      return {
        ts: r.ts as Date,
        requests: c.requests,
        errors: c.errors,
        errorRate: c.errorRate,
        promptTokens: c.promptTokens,
        completionTokens: c.completionTokens,
        totalTokens: c.totalTokens,
        costUsd: c.costUsd,
        avgLatencyMs: c.avgLatencyMs,
      };
    });
  const last = new Date(range.to.getTime() - 1);
  const series = fillSeries(points, range.from, last, range.granularity, zeroPoint);
  return { summary, byModel, series };
}

export type MetricsReport = ReturnType<typeof buildMetricsReport>;

export { RISK_LEVELS } from '../../types/vocabulary.js';

/** Every risk level, with 0 for levels that did not occur. */
export function riskDistribution(counts: readonly { level: string; requests: number }[]) {
  const total = counts.reduce((sum, c) => sum + Number(c.requests), 0);
  return RISK_LEVELS.map((level) => {
    const requests = Number(counts.find((c) => c.level === level)?.requests ?? 0);
    return { level, requests, share: ratio(requests, total, 4) };
  });
}

/** One point per UTC day of [from, to), zeros for days without traffic. */
export function dailySeries(
  days: readonly { ts: Date; requests: number; errors: number; costUsd: number; totalTokens: number }[],
  range: Pick<ReportRange, 'from' | 'to'>,
) {
  const points = days.map((d) => ({
    ts: d.ts,
    requests: Number(d.requests),
    errors: Number(d.errors),
    totalTokens: Number(d.totalTokens),
    costUsd: round(Number(d.costUsd), 8),
  }));
  return fillSeries(points, range.from, new Date(range.to.getTime() - 1), 'day', (ts) => ({
    ts,
    requests: 0,
    errors: 0,
    totalTokens: 0,
    costUsd: 0,
  }));
}
