import { describe, expect, it } from 'vitest';
import { seededRandom } from '../../src/utils/random.js';
import {
  addToHistogram,
  bucketIndex,
  emptyHistogram,
  fillSeries,
  HISTOGRAM_BUCKET_COUNT,
  HISTOGRAM_RELATIVE_ERROR,
  LATENCY_BUCKET_BOUNDS_MS,
  LATENCY_BUCKET_RATIO,
  type LatencyHistogram,
  MAX_SERIES_BUCKETS,
  mergeHistograms,
  percentileFromHistogram,
} from '../../src/domain/metrics/histogram.js';


/** Log-normal latencies (median `medianMs`), clamped to [1 ms, last bound] where the error bound holds. */
function latencies(seed: number, n: number, medianMs: number, sigma: number, integer: boolean): number[] {
  const random = seededRandom(seed);
  const lastBound = LATENCY_BUCKET_BOUNDS_MS[LATENCY_BUCKET_BOUNDS_MS.length - 1] ?? 1;
  return Array.from({ length: n }, () => {
    const normal = Math.sqrt(-2 * Math.log(1 - random())) * Math.cos(2 * Math.PI * random());
    const value = Math.min(lastBound, Math.max(1, medianMs * Math.exp(sigma * normal)));
    return integer ? Math.max(1, Math.floor(value)) : value;
  });
}

/** Nearest-rank percentile: the ceil(p·n)-th smallest value (the smallest for p = 0). */
function exactPercentile(sorted: readonly number[], p: number): number {
  const rank = Math.max(1, Math.ceil(p * sorted.length));
  return sorted[rank - 1] ?? Number.NaN;
}

function histogramOf(values: readonly number[]): LatencyHistogram {
  return values.reduce((hist, value) => addToHistogram(hist, value), emptyHistogram());
}

const PERCENTILES = [0, 0.01, 0.1, 0.25, 0.5, 0.75, 0.9, 0.95, 0.99, 0.999, 1];

describe('LATENCY_BUCKET_BOUNDS_MS', () => {
  it('should rise by the stated ratio from 1 ms to past 120,000 ms', () => {
    expect(LATENCY_BUCKET_BOUNDS_MS[0]).toBe(1);
    for (let i = 1; i < LATENCY_BUCKET_BOUNDS_MS.length; i++) {
      const ratio = (LATENCY_BUCKET_BOUNDS_MS[i] ?? 0) / (LATENCY_BUCKET_BOUNDS_MS[i - 1] ?? 1);
      expect(ratio).toBeCloseTo(LATENCY_BUCKET_RATIO, 12);
    }
    expect(LATENCY_BUCKET_BOUNDS_MS.at(-1)).toBeGreaterThanOrEqual(120_000);
    expect(LATENCY_BUCKET_BOUNDS_MS.at(-2)).toBeLessThan(120_000);
  });

  it('should keep the bucket count, overflow included, within 64', () => {
    expect(HISTOGRAM_BUCKET_COUNT).toBe(LATENCY_BUCKET_BOUNDS_MS.length + 1);
    expect(HISTOGRAM_BUCKET_COUNT).toBeLessThanOrEqual(64);
    expect(emptyHistogram()).toHaveLength(HISTOGRAM_BUCKET_COUNT);
  });

  it('should be frozen so no caller can shift the stored buckets', () => {
    expect(Object.isFrozen(LATENCY_BUCKET_BOUNDS_MS)).toBe(true);
  });

  it('should state a relative error bound equal to the bucket ratio minus one', () => {
    expect(HISTOGRAM_RELATIVE_ERROR).toBeCloseTo(0.25, 12);
  });
});

describe('bucketIndex', () => {
  it('should put 0 and 1 ms in the first bucket', () => {
    expect(bucketIndex(0)).toBe(0);
    expect(bucketIndex(0.5)).toBe(0);
    expect(bucketIndex(1)).toBe(0);
  });

  it('should treat each upper bound as inclusive and anything just above it as the next bucket', () => {
    LATENCY_BUCKET_BOUNDS_MS.forEach((bound, i) => {
      expect(bucketIndex(bound)).toBe(i);
      expect(bucketIndex(bound * (1 + 1e-12))).toBe(i + 1);
    });
  });

  it('should put latencies beyond the last bound in the overflow bucket', () => {
    expect(bucketIndex(10_000_000)).toBe(HISTOGRAM_BUCKET_COUNT - 1);
  });

  it('should place common integer latencies by their bounds', () => {
    expect(bucketIndex(2)).toBe(4); // 1.953125 < 2 <= 2.44140625
    expect(bucketIndex(100)).toBe(21); // 1.25^20 ≈ 86.7 < 100 <= 1.25^21 ≈ 108.4
  });

  it.each([-1, Number.NaN, Number.POSITIVE_INFINITY])('should throw a RangeError for %s', (value) => {
    expect(() => bucketIndex(value)).toThrow(RangeError);
  });
});

describe('addToHistogram and mergeHistograms', () => {
  it('should count a latency in place and return the same histogram', () => {
    const hist = emptyHistogram();
    expect(addToHistogram(hist, 100)).toBe(hist);
    expect(hist[21]).toBe(1);
    expect(hist.reduce((a, b) => a + b, 0)).toBe(1);
  });

  it('should merge into a new histogram equal to counting both inputs together', () => {
    const a = latencies(1, 500, 200, 1, true);
    const b = latencies(2, 700, 2000, 0.5, false);
    const histA = histogramOf(a);
    const histB = histogramOf(b);
    const copyA = [...histA];
    expect(mergeHistograms(histA, histB)).toEqual(histogramOf([...a, ...b]));
    expect(histA).toEqual(copyA);
  });

  it('should treat an empty histogram as the identity of merge', () => {
    const hist = histogramOf([5, 50, 500]);
    expect(mergeHistograms(hist, emptyHistogram())).toEqual(hist);
  });

  it('should throw a RangeError for a histogram of another shape', () => {
    expect(() => mergeHistograms(emptyHistogram(), [1, 2, 3])).toThrow(RangeError);
    expect(() => addToHistogram([0], 5)).toThrow(RangeError);
  });
});

describe('percentileFromHistogram', () => {
  it('should return null for an empty histogram', () => {
    expect(percentileFromHistogram(emptyHistogram(), 0.5)).toBeNull();
  });

  it.each([-0.1, 1.1, Number.NaN])('should throw a RangeError for p = %s', (p) => {
    expect(() => percentileFromHistogram(emptyHistogram(), p)).toThrow(RangeError);
  });

  it.each([
    { seed: 11, median: 300, sigma: 1, integer: true },
    { seed: 12, median: 40, sigma: 2, integer: false },
    { seed: 13, median: 5000, sigma: 0.3, integer: true },
    { seed: 14, median: 2, sigma: 1.5, integer: false },
  ])('should stay within the stated error bound on random data (seed $seed)', ({ seed, median, sigma, integer }) => {
    const values = latencies(seed, 5000, median, sigma, integer);
    const sorted = [...values].sort((x, y) => x - y);
    const hist = histogramOf(values);
    for (const p of PERCENTILES) {
      const exact = exactPercentile(sorted, p);
      const estimate = percentileFromHistogram(hist, p) ?? Number.NaN;
      // The relative bound covers values above 1 ms; bucket [0, 1] promises 1 ms absolute.
      const error = exact > 1 ? Math.abs(estimate - exact) / exact : Math.abs(estimate - exact);
      expect(error, `p${p * 100}`).toBeLessThanOrEqual(exact > 1 ? HISTOGRAM_RELATIVE_ERROR + 1e-9 : 1);
    }
  });

  it('should be far more accurate than the bound at p50 and p95 on smooth data', () => {
    const values = latencies(21, 20_000, 800, 0.8, false);
    const sorted = [...values].sort((x, y) => x - y);
    const hist = histogramOf(values);
    for (const p of [0.5, 0.95]) {
      const exact = exactPercentile(sorted, p);
      const estimate = percentileFromHistogram(hist, p) ?? Number.NaN;
      expect(Math.abs(estimate - exact) / exact).toBeLessThan(0.03);
    }
  });

  it('should give the same percentiles from merged rollups as from the raw data', () => {
    const values = latencies(31, 3000, 150, 1, true);
    const hourly = [values.slice(0, 1000), values.slice(1000, 2000), values.slice(2000)].map(histogramOf);
    const merged = hourly.reduce((a, b) => mergeHistograms(a, b), emptyHistogram());
    for (const p of PERCENTILES) {
      expect(percentileFromHistogram(merged, p)).toBe(percentileFromHistogram(histogramOf(values), p));
    }
  });

  it('should interpolate linearly inside the bucket', () => {
    // Four values in one bucket: p50 is the 2nd of 4, halfway through the bucket.
    const hist = histogramOf([90, 90, 90, 90]);
    const lower = LATENCY_BUCKET_BOUNDS_MS[bucketIndex(90) - 1] ?? 0;
    const upper = LATENCY_BUCKET_BOUNDS_MS[bucketIndex(90)] ?? 0;
    expect(lower).toBeLessThan(90);
    expect(upper).toBeGreaterThanOrEqual(90);
    expect(percentileFromHistogram(hist, 0.5)).toBeCloseTo((lower + upper) / 2, 10);
    expect(percentileFromHistogram(hist, 0)).toBeCloseTo(lower, 10);
    expect(percentileFromHistogram(hist, 1)).toBeCloseTo(upper, 10);
  });

  it('should answer from the first bucket, starting at 0, for sub-millisecond latencies', () => {
    expect(percentileFromHistogram(histogramOf([0, 0]), 0.5)).toBe(0.5);
  });

  it('should be monotonic in p', () => {
    const hist = histogramOf(latencies(41, 1000, 100, 1.2, false));
    const estimates = Array.from({ length: 101 }, (_, i) => percentileFromHistogram(hist, i / 100) ?? 0);
    for (let i = 1; i < estimates.length; i++) expect(estimates[i]).toBeGreaterThanOrEqual(estimates[i - 1] ?? 0);
  });

  it('should clamp overflow-bucket percentiles to the last bound', () => {
    const hist = histogramOf([500_000, 900_000]);
    expect(percentileFromHistogram(hist, 0.99)).toBe(LATENCY_BUCKET_BOUNDS_MS.at(-1));
  });

  it('should skip empty buckets between populated ones', () => {
    const hist = histogramOf([10, 10_000]);
    expect(bucketIndex(10)).toBe(11);
    expect(percentileFromHistogram(hist, 0.5)).toBeLessThanOrEqual(10 * LATENCY_BUCKET_RATIO);
    expect(percentileFromHistogram(hist, 0.51)).toBeGreaterThan(10_000 / LATENCY_BUCKET_RATIO);
  });
});

describe('fillSeries', () => {
  interface Point {
    ts: Date;
    count: number;
  }
  const zero = (ts: Date): Point => ({ ts, count: 0 });
  const iso = (points: readonly Point[]) => points.map((point) => `${point.ts.toISOString()}=${point.count}`);

  it('should fill hourly gaps across a day boundary and keep existing points', () => {
    const points = [
      { ts: new Date('2025-03-01T23:00:00Z'), count: 4 },
      { ts: new Date('2025-03-02T01:00:00Z'), count: 7 },
    ];
    const series = fillSeries(points, new Date('2025-03-01T22:30:00Z'), new Date('2025-03-02T02:10:00Z'), 'hour', zero);
    expect(iso(series)).toEqual([
      '2025-03-01T22:00:00.000Z=0',
      '2025-03-01T23:00:00.000Z=4',
      '2025-03-02T00:00:00.000Z=0',
      '2025-03-02T01:00:00.000Z=7',
      '2025-03-02T02:00:00.000Z=0',
    ]);
    expect(series[1]).toBe(points[0]);
  });

  it('should fill daily gaps across a month boundary in UTC', () => {
    const points = [{ ts: new Date('2025-03-01T00:00:00Z'), count: 3 }];
    const series = fillSeries(points, new Date('2025-02-27T18:00:00Z'), new Date('2025-03-02T05:00:00Z'), 'day', zero);
    expect(iso(series)).toEqual([
      '2025-02-27T00:00:00.000Z=0',
      '2025-02-28T00:00:00.000Z=0',
      '2025-03-01T00:00:00.000Z=3',
      '2025-03-02T00:00:00.000Z=0',
    ]);
  });

  it('should match a point to its bucket even when its timestamp is not at the bucket start', () => {
    const point = { ts: new Date('2025-03-01T10:59:59Z'), count: 1 };
    const series = fillSeries(
      [point],
      new Date('2025-03-01T10:00:00Z'),
      new Date('2025-03-01T11:00:00Z'),
      'hour',
      zero,
    );
    expect(series).toEqual([point, zero(new Date('2025-03-01T11:00:00Z'))]);
  });

  it('should return only zero items for empty input', () => {
    const series = fillSeries([], new Date('2025-03-01T00:00:00Z'), new Date('2025-03-03T00:00:00Z'), 'day', zero);
    expect(iso(series)).toEqual([
      '2025-03-01T00:00:00.000Z=0',
      '2025-03-02T00:00:00.000Z=0',
      '2025-03-03T00:00:00.000Z=0',
    ]);
  });

  it('should return one bucket when from and to fall in the same hour', () => {
    const series = fillSeries([], new Date('2025-03-01T10:05:00Z'), new Date('2025-03-01T10:55:00Z'), 'hour', zero);
    expect(iso(series)).toEqual(['2025-03-01T10:00:00.000Z=0']);
  });

  it('should return an empty list when from is after to', () => {
    expect(fillSeries([], new Date('2025-03-02T00:00:00Z'), new Date('2025-03-01T00:00:00Z'), 'day', zero)).toEqual([]);
  });

  it('should drop points outside the range', () => {
    const points = [{ ts: new Date('2025-02-01T00:00:00Z'), count: 9 }];
    const series = fillSeries(points, new Date('2025-03-01T00:00:00Z'), new Date('2025-03-01T00:00:00Z'), 'day', zero);
    expect(iso(series)).toEqual(['2025-03-01T00:00:00.000Z=0']);
  });

  it('should throw a RangeError when two points share a bucket', () => {
    const points = [
      { ts: new Date('2025-03-01T10:00:00Z'), count: 1 },
      { ts: new Date('2025-03-01T10:30:00Z'), count: 2 },
    ];
    expect(() =>
      fillSeries(points, new Date('2025-03-01T10:00:00Z'), new Date('2025-03-01T11:00:00Z'), 'hour', zero),
    ).toThrow(RangeError);
  });

  it('should throw a RangeError for an invalid date or a range over the bucket limit', () => {
    expect(() => fillSeries([], new Date('nope'), new Date(), 'day', zero)).toThrow(RangeError);
    const years = Math.ceil(MAX_SERIES_BUCKETS / 8760) + 1;
    expect(() =>
      fillSeries([], new Date(Date.UTC(2000, 0, 1)), new Date(Date.UTC(2000 + years, 0, 1)), 'hour', zero),
    ).toThrow(RangeError);
  });
});
