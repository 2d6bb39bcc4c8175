import { describe, expect, it } from 'vitest';
import { bucketIndex, emptyHistogram } from '../../src/domain/metrics/histogram.js';
import {
  aggregateBatch,
  hourStart,
  mergeDeltas,
  sortedDeltas,
  type RollupDelta,
  type RollupSource,
} from '../../src/domain/metrics/rollupDeltas.js';

const row = (over: Partial<RollupSource> = {}): RollupSource => ({
  projectId: 'p1',
  model: 'gpt-4o',
  endpoint: 'chat',
  status: 'success',
  promptTokens: 10,
  completionTokens: 5,
  costUsd: 0.001,
  latencyMs: 100,
  riskScore: 10,
  createdAt: new Date('2025-03-10T10:15:00.000Z'),
  ...over,
});

describe('aggregateBatch', () => {
  it('should return no deltas for an empty batch', () => {
    expect(aggregateBatch([])).toEqual([]);
  });

  it('should sum rows of the same project, UTC hour, model and endpoint into one delta', () => {
    const deltas = aggregateBatch([
      row({ latencyMs: 100, riskScore: 59 }),
      row({ createdAt: new Date('2025-03-10T10:59:59.999Z'), status: 'error', latencyMs: 3, riskScore: 60 }),
      row({ promptTokens: null, completionTokens: null, costUsd: null, latencyMs: 0, riskScore: 90 }),
    ]);
    const hist = emptyHistogram();
    for (const l of [100, 3, 0]) hist[bucketIndex(l)]! += 1;
    expect(deltas).toEqual([
      {
        projectId: 'p1',
        hour: new Date('2025-03-10T10:00:00.000Z'),
        model: 'gpt-4o',
        endpoint: 'chat',
        requests: 3,
        errors: 1,
        promptTokens: 20,
        completionTokens: 10,
        costUsd: 0.002,
        unpricedRequests: 1,
        latencySumMs: 103,
        latencyHist: hist,
        riskSum: 209,
        highRiskCount: 2,
      },
    ]);
  });

  it('should split by hour, model, endpoint and project, with a missing endpoint as ""', () => {
    const deltas = aggregateBatch([
      row(),
      row({ createdAt: new Date('2025-03-10T11:00:00.000Z') }),
      row({ model: 'claude-3-5-sonnet' }),
      row({ endpoint: null }),
      row({ endpoint: null }),
      row({ projectId: 'p0' }),
    ]);
    expect(
      deltas.map((d) => [d.projectId, d.hour.toISOString().slice(11, 13), d.model, d.endpoint, d.requests]),
    ).toEqual([
      ['p0', '10', 'gpt-4o', 'chat', 1],
      ['p1', '10', 'claude-3-5-sonnet', 'chat', 1],
      ['p1', '10', 'gpt-4o', '', 2],
      ['p1', '10', 'gpt-4o', 'chat', 1],
      ['p1', '11', 'gpt-4o', 'chat', 1],
    ]);
  });

  it('should keep the histogram total equal to the request count', () => {
    const rows = Array.from({ length: 500 }, (_, i) => row({ latencyMs: (i * 7919) % 250_000 }));
    const [delta] = aggregateBatch(rows);
    expect(delta!.latencyHist.reduce((a, b) => a + b, 0)).toBe(500);
  });
});

describe('mergeDeltas', () => {
  it('should merge batches into exactly the deltas of all their rows at once', () => {
    const rows = Array.from({ length: 60 }, (_, i) =>
      row({
        model: i % 3 === 0 ? 'gpt-4o' : 'gpt-4o-mini',
        endpoint: i % 4 === 0 ? null : 'chat',
        latencyMs: 7 * i,
        status: i % 5 === 0 ? 'error' : 'success',
        costUsd: i % 6 === 0 ? null : 0.01 * i,
        riskScore: i,
        createdAt: new Date(Date.UTC(2026, 10, 22, i % 2, 5)),
      }),
    );
    const merged = new Map<string, RollupDelta>();
    for (let i = 0; i < rows.length; i += 7) mergeDeltas(merged, aggregateBatch(rows.slice(i, i + 7)));
    const whole = aggregateBatch(rows);
    const result = sortedDeltas(merged);
    const withoutCost = (d: RollupDelta) => ({ ...d, costUsd: 0 });
    expect(result.map(withoutCost)).toEqual(whole.map(withoutCost));
    result.forEach((d, i) => expect(d.costUsd).toBeCloseTo(whole[i]!.costUsd, 9));
  });

  it('should not alias the histogram of the first delta it keeps', () => {
    const first = aggregateBatch([row({ latencyMs: 10 })]);
    const merged = new Map<string, RollupDelta>();
    mergeDeltas(merged, first);
    mergeDeltas(merged, aggregateBatch([row({ latencyMs: 10 })]));
    expect(first[0]!.requests).toBe(1);
    expect(first[0]!.latencyHist.reduce((a, b) => a + b, 0)).toBe(1);
  });
});

describe('hourStart', () => {
  it('should floor to the UTC hour', () => {
    expect(hourStart(new Date('2025-03-10T23:59:59.999Z')).toISOString()).toBe('2025-03-10T23:00:00.000Z');
    expect(hourStart(new Date('2025-03-11T00:00:00.000Z')).toISOString()).toBe('2025-03-11T00:00:00.000Z');
  });
});
