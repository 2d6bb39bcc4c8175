/**
 * Rule-based incident detection, as pure functions over a committed batch and a few figures
 * read from the database. Thresholds are per project (Project.ruleThresholds) with defaults.
 */
import type { Severity } from '../../types/vocabulary.js';

export type { Severity } from '../../types/vocabulary.js';

export interface RuleThresholds {
  /** a request slower than this opens a latency incident */
  latencyMs: number;
  /** share of errors over the last hour */
  errorRate: number;
  /** fewest requests in the hour before the error rate counts */
  errorRateMinSample: number;
  /** risk score a request must exceed ... */
  riskScore: number;
  /** ... on this many consecutive requests */
  riskConsecutive: number;
  /** last-24h cost above the trailing daily average by more than this fraction */
  costSpikeRatio: number;
  /** share of negative feedback on one model over the last hour ... */
  negativeFeedbackShare: number;
  /** ... once it has at least this many feedback items in that hour */
  negativeFeedbackMinSample: number;
}

export const DEFAULT_THRESHOLDS: RuleThresholds = {
  latencyMs: 5_000,
  errorRate: 0.1,
  errorRateMinSample: 20,
  riskScore: 80,
  riskConsecutive: 3,
  costSpikeRatio: 0.5,
  negativeFeedbackShare: 0.5,
  negativeFeedbackMinSample: 5,
};

/** Project overrides on top of the defaults; unknown or invalid values are ignored. */
export function thresholdsFor(raw: unknown): RuleThresholds {
  const out = { ...DEFAULT_THRESHOLDS };
  if (raw && typeof raw === 'object') {
    for (const key of Object.keys(out) as (keyof RuleThresholds)[]) {
      const v = (raw as Record<string, unknown>)[key];
      if (typeof v === 'number' && Number.isFinite(v) && v >= 0) out[key] = v;
    }
  }
  return out;
}

/**
 * Severity from how far past its threshold a value is (ratio = value / threshold):
 * up to 1.5x low, up to 2x medium, up to 4x high, beyond critical.
 */
export function severityFromRatio(ratio: number): Severity {
  if (ratio >= 4) return 'critical';
  if (ratio >= 2) return 'high';
  if (ratio >= 1.5) return 'medium';
  return 'low';
}

export const SEVERITY_RANK: Record<Severity, number> = { low: 0, medium: 1, high: 2, critical: 3 };

export function maxSeverity(a: Severity, b: Severity): Severity {
  return SEVERITY_RANK[a] >= SEVERITY_RANK[b] ? a : b;
}

export interface RowLike {
  endpoint: string | null;
  latencyMs: number;
  riskScore: number;
  createdAt: Date;
}

export interface LatencyFinding {
  endpoint: string;
  count: number;
  maxLatencyMs: number;
  severity: Severity;
}

/** Slow requests of a batch, grouped by endpoint (one incident per project, type and endpoint). */
export function latencyFindings(rows: RowLike[], t: RuleThresholds): LatencyFinding[] {
  const byEndpoint = new Map<string, { count: number; max: number }>();
  for (const row of rows) {
    if (row.latencyMs <= t.latencyMs) continue;
    const key = row.endpoint ?? '';
    const agg = byEndpoint.get(key) ?? { count: 0, max: 0 };
    agg.count++;
    agg.max = Math.max(agg.max, row.latencyMs);
    byEndpoint.set(key, agg);
  }
  return [...byEndpoint].map(([endpoint, a]) => ({
    endpoint,
    count: a.count,
    maxLatencyMs: a.max,
    severity: severityFromRatio(a.max / t.latencyMs),
  }));
}

/** Error rate over the hour, if the sample is large enough and the rate is above the threshold. */
export function errorRateFinding(
  total: number,
  errors: number,
  t: RuleThresholds,
): { rate: number; severity: Severity } | null {
  if (total < t.errorRateMinSample || total === 0) return null;
  const rate = errors / total;
  if (rate <= t.errorRate) return null;
  return { rate, severity: severityFromRatio(t.errorRate === 0 ? 4 : rate / t.errorRate) };
}

/** True when the newest `riskConsecutive` scores (newest first) all exceed the threshold. */
export function riskStreak(latestScores: number[], t: RuleThresholds): { severity: Severity; scores: number[] } | null {
  const n = Math.max(1, Math.round(t.riskConsecutive));
  const window = latestScores.slice(0, n);
  if (window.length < n || !window.every((s) => s > t.riskScore)) return null;
  const mean = window.reduce((a, b) => a + b, 0) / n;
  return { severity: mean >= 95 ? 'critical' : mean >= 90 ? 'high' : 'medium', scores: window };
}

/**
 * Cost spike: the last 24 hours cost more than (1 + ratio) x the trailing daily average.
 * Needs at least one earlier day with spend; nothing is compared against no history.
 */
export function costSpikeFinding(
  last24hCost: number,
  trailingDailyCosts: number[],
  t: RuleThresholds,
): { ratio: number; average: number; severity: Severity } | null {
  const history = trailingDailyCosts.filter((c) => c > 0);
  if (history.length === 0) return null;
  const average = history.reduce((a, b) => a + b, 0) / history.length;
  const ratio = last24hCost / average;
  if (ratio <= 1 + t.costSpikeRatio) return null;
  return { ratio, average, severity: severityFromRatio(ratio / (1 + t.costSpikeRatio)) };
}

export interface ModelFeedbackCount {
  model: string;
  total: number;
  negative: number;
}

/**
 * Negative-feedback spike on `model`: at least `negativeFeedbackMinSample` feedback items in the
 * window and a negative share at or above `negativeFeedbackShare`. The finding names the model
 * with the lowest negative share (enough feedback, below the threshold) as the one to switch to.
 */
export function negativeFeedbackFinding(
  counts: ModelFeedbackCount[],
  model: string,
  t: RuleThresholds,
): { total: number; negative: number; share: number; severity: Severity; alternativeModel: string | null } | null {
  const row = counts.find((c) => c.model === model);
  if (!row || row.total === 0 || row.total < t.negativeFeedbackMinSample) return null;
  const share = row.negative / row.total;
  if (share < t.negativeFeedbackShare) return null;
  const alternative = counts
    .filter((c) => c.model !== model && c.total >= t.negativeFeedbackMinSample)
    .map((c) => ({ model: c.model, share: c.negative / c.total }))
    .filter((c) => c.share < t.negativeFeedbackShare)
    .sort((a, b) => a.share - b.share || a.model.localeCompare(b.model))[0];
  return {
    total: row.total,
    negative: row.negative,
    share,
    severity: severityFromRatio(t.negativeFeedbackShare === 0 ? 4 : share / t.negativeFeedbackShare),
    alternativeModel: alternative?.model ?? null,
  };
}
