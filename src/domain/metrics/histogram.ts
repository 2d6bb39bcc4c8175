/**
 * Fixed log-scale latency histogram, so hourly/daily rollup rows can store an array of counts and
 * p50/p95 can still be read from any merge of them; plus gap-filling for time series.
 * Pure: no I/O, no clock.
 */

/** Each bucket's upper bound is this many times its lower bound. */
export const LATENCY_BUCKET_RATIO = 1.25;
import { DAY_MS, HOUR_MS } from '../../utils/time.js';

/**
 * Inclusive upper bounds in ms: 1, 1.25, 1.5625, ... 1.25^53 ≈ 136,845 (the first bound past
 * two minutes). Bucket 0 holds [0, 1]; bucket i holds (bound[i-1], bound[i]]; one overflow bucket
 * after the last bound holds everything slower. Built by repeated multiplication rather than
 * `**` so the values are the same on every IEEE-754 platform. Never change these once rollup
 * rows exist: stored counts are only meaningful against the bounds they were counted with.
 */
export const LATENCY_BUCKET_BOUNDS_MS: readonly number[] = Object.freeze(logScaleBounds(54));

function logScaleBounds(count: number): number[] {
  const bounds: number[] = [];
  for (let bound = 1; bounds.length < count; bound *= LATENCY_BUCKET_RATIO) bounds.push(bound);
  return bounds;
}

/** Number of counts in a histogram: one per bound plus the overflow bucket (55). */
export const HISTOGRAM_BUCKET_COUNT = LATENCY_BUCKET_BOUNDS_MS.length + 1;

/**
 * Worst-case relative error of `percentileFromHistogram` against the exact nearest-rank
 * percentile, for true values above 1 ms and up to the last bound: both the true value and the
 * estimate lie in the same bucket (L, 1.25·L], so they differ by at most 0.25·L < 0.25 × the true
 * value. At or below 1 ms (bucket [0, 1]) the error is at most 1 ms absolute; beyond the last bound
 * the estimate is clamped to it (a lower bound on the truth). Typical errors are far smaller.
 */
export const HISTOGRAM_RELATIVE_ERROR = LATENCY_BUCKET_RATIO - 1;

/** Counts per bucket, `HISTOGRAM_BUCKET_COUNT` long; a plain array so it stores as JSON or int[]. */
export type LatencyHistogram = number[];

const OVERFLOW_INDEX = LATENCY_BUCKET_BOUNDS_MS.length;

/** The bucket a latency falls in: the first bound >= latencyMs, or the overflow bucket. */
export function bucketIndex(latencyMs: number): number {
  if (!Number.isFinite(latencyMs) || latencyMs < 0) {
    throw new RangeError(`bucketIndex: latency must be a finite number >= 0, got ${latencyMs}`);
  }
  let low = 0;
  let high = OVERFLOW_INDEX; // answer lies in [low, high]
  while (low < high) {
    const mid = (low + high) >>> 1;
    if ((LATENCY_BUCKET_BOUNDS_MS[mid] ?? Infinity) >= latencyMs) high = mid;
    else low = mid + 1;
  }
  return low;
}

export function emptyHistogram(): LatencyHistogram {
  return new Array<number>(HISTOGRAM_BUCKET_COUNT).fill(0);
}

function assertShape(hist: readonly number[], caller: string): void {
  if (hist.length !== HISTOGRAM_BUCKET_COUNT) {
    throw new RangeError(`${caller}: histogram has ${hist.length} buckets, expected ${HISTOGRAM_BUCKET_COUNT}`);
  }
}

/** Counts one latency into `hist` in place (an accumulator over many rows) and returns it. */
export function addToHistogram(hist: LatencyHistogram, latencyMs: number): LatencyHistogram {
  assertShape(hist, 'addToHistogram');
  const index = bucketIndex(latencyMs);
  hist[index] = (hist[index] ?? 0) + 1;
  return hist;
}

/** A new histogram with the counts of both; neither input is changed. */
export function mergeHistograms(a: readonly number[], b: readonly number[]): LatencyHistogram {
  assertShape(a, 'mergeHistograms');
  assertShape(b, 'mergeHistograms');
  return a.map((count, i) => count + (b[i] ?? 0));
}

/**
 * The p-quantile (p in 0..1) of the latencies counted, interpolated linearly within its bucket;
 * null when the histogram is empty. See HISTOGRAM_RELATIVE_ERROR for how far off it can be.
 */
export function percentileFromHistogram(hist: readonly number[], p: number): number | null {
  assertShape(hist, 'percentileFromHistogram');
  if (!(p >= 0 && p <= 1)) throw new RangeError(`percentileFromHistogram: p must be in 0..1, got ${p}`);
  const total = hist.reduce((sum, count) => sum + count, 0);
  if (total === 0) return null;

  // Rank p·total lands in the same bucket as the nearest-rank order statistic ceil(p·total).
  const rank = p * total;
  let before = 0;
  for (let i = 0; i < hist.length; i++) {
    const count = hist[i] ?? 0;
    if (count > 0 && before + count >= rank) {
      const lower = i === 0 ? 0 : (LATENCY_BUCKET_BOUNDS_MS[i - 1] ?? 0);
      const upper = LATENCY_BUCKET_BOUNDS_MS[i];
      if (upper === undefined) return lower; // overflow bucket: no upper edge to interpolate to
      return lower + ((upper - lower) * (rank - before)) / count;
    }
    before += count;
  }
  return null; // unreachable: the last non-empty bucket always reaches rank <= total
}

export type SeriesGranularity = 'hour' | 'day';

const STEP_MS: Record<SeriesGranularity, number> = { hour: HOUR_MS, day: DAY_MS };

/** Guards memory when a caller forgets to bound the range (a year of hours is 8,760). */
export const MAX_SERIES_BUCKETS = 100_000;

/** Start of the UTC hour or day containing `ts`, in epoch ms (UTC has no DST, so steps are fixed). */
function floorMs(ts: Date, granularity: SeriesGranularity): number {
  const ms = ts.getTime();
  if (Number.isNaN(ms)) throw new RangeError('fillSeries: invalid Date');
  const step = STEP_MS[granularity];
  return Math.floor(ms / step) * step;
}

/**
 * One item per UTC hour or day from floor(from) to floor(to) inclusive: the point already in a
 * bucket (matched by flooring its `ts`), or `zero(bucketStart)` for a gap. Points outside the range
 * are dropped; an empty list when `from` is after `to`. Two points in one bucket mean the query
 * that produced them did not group by bucket, so that throws rather than silently dropping one.
 */
export function fillSeries<T extends { ts: Date }>(
  points: readonly T[],
  from: Date,
  to: Date,
  granularity: SeriesGranularity,
  zero: (ts: Date) => T,
): T[] {
  const step = STEP_MS[granularity];
  const start = floorMs(from, granularity);
  const end = floorMs(to, granularity);
  if (start > end) return [];
  if ((end - start) / step + 1 > MAX_SERIES_BUCKETS) {
    throw new RangeError(`fillSeries: more than ${MAX_SERIES_BUCKETS} ${granularity} buckets`);
  }

  const byBucket = new Map<number, T>();
  for (const point of points) {
    const bucket = floorMs(point.ts, granularity);
    if (byBucket.has(bucket)) {
      throw new RangeError(`fillSeries: two points in the ${granularity} of ${new Date(bucket).toISOString()}`);
    }
    byBucket.set(bucket, point);
  }

  const series: T[] = [];
  for (let bucket = start; bucket <= end; bucket += step) {
    series.push(byBucket.get(bucket) ?? zero(new Date(bucket)));
  }
  return series;
}
