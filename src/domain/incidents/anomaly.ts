/**
 * 3-sigma anomaly statistics for the hourly job: per metric, the mean and standard deviation
 * of a trailing baseline of hourly values, and whether the latest hour lies beyond k sigma.
 */

export interface Baseline {
  mean: number;
  stddev: number;
  n: number;
}

export function baseline(values: number[]): Baseline {
  const n = values.length;
  if (n === 0) return { mean: 0, stddev: 0, n: 0 };
  const mean = values.reduce((a, b) => a + b, 0) / n;
  const variance = n > 1 ? values.reduce((a, v) => a + (v - mean) ** 2, 0) / (n - 1) : 0;
  return { mean, stddev: Math.sqrt(variance), n };
}

export interface AnomalyFinding {
  metric: string;
  value: number;
  mean: number;
  stddev: number;
  /** (value - mean) / stddev; Infinity when the baseline is perfectly flat */
  zScore: number;
}

export interface AnomalyOptions {
  sigma?: number;
  /** fewest baseline hours before anything is judged */
  minHistory?: number;
  /** ignore deviations smaller than this fraction of the mean (flat, tiny baselines) */
  minRelativeChange?: number;
}

/** Judges one metric's latest value against its baseline. */
export function detectAnomaly(
  metric: string,
  history: number[],
  latest: number,
  options: AnomalyOptions = {},
): AnomalyFinding | null {
  const sigma = options.sigma ?? 3;
  const minHistory = options.minHistory ?? 24;
  const minRelative = options.minRelativeChange ?? 0.2;
  const b = baseline(history);
  if (b.n < minHistory) return null;
  const deviation = Math.abs(latest - b.mean);
  if (deviation <= Math.max(minRelative * Math.abs(b.mean), Number.EPSILON)) return null;
  const zScore = b.stddev === 0 ? Infinity : (latest - b.mean) / b.stddev;
  if (Math.abs(zScore) <= sigma) return null;
  return { metric, value: latest, mean: b.mean, stddev: b.stddev, zScore };
}

export interface HourlyPoint {
  requests: number;
  errorRate: number;
  p95LatencyMs: number;
  costUsd: number;
  meanRisk: number;
}

export const ANOMALY_METRICS: (keyof HourlyPoint)[] = ['requests', 'errorRate', 'p95LatencyMs', 'costUsd', 'meanRisk'];

/** Every metric of the latest hour beyond k sigma of the trailing hours. */
export function detectAnomalies(
  history: HourlyPoint[],
  latest: HourlyPoint,
  options: AnomalyOptions = {},
): AnomalyFinding[] {
  return ANOMALY_METRICS.map((m) =>
    detectAnomaly(
      m,
      history.map((h) => h[m]),
      latest[m],
      options,
    ),
  ).filter((f): f is AnomalyFinding => f !== null);
}
