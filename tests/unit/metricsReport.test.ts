import { describe, expect, it } from 'vitest';
import { addToHistogram, emptyHistogram, percentileFromHistogram } from '../../src/domain/metrics/histogram.js';
import { buildMetricsReport, dailySeries, riskDistribution, type AggregateRow } from '../../src/domain/metrics/metricsReport.js';

function agg(kind: AggregateRow['kind'], over: Partial<AggregateRow>, latencies: number[] = []): AggregateRow {
  return {
    kind,
    ts: null,
    model: null,
    requests: latencies.length,
    errors: 0,
    promptTokens: 0,
    completionTokens: 0,
    costUsd: 0,
    unpricedRequests: 0,
    latencySumMs: latencies.reduce((a, b) => a + b, 0),
    riskSum: 0,
    highRiskCount: 0,
    ...over,
  };
}

const range = {
  from: new Date('2025-03-10T00:00:00Z'),
  to: new Date('2025-03-10T04:00:00Z'),
  granularity: 'hour' as const,
};

describe('buildMetricsReport', () => {
  const a = [100, 200, 300];
  const b = [50, 5000];
  const rows: AggregateRow[] = [
    agg(
      'total',
      {
        errors: 2,
        promptTokens: 30,
        completionTokens: 12,
        costUsd: 0.1 + 0.2,
        unpricedRequests: 2,
        riskSum: 151,
        highRiskCount: 1,
      },
      [...a, ...b],
    ),
    agg('model', { model: 'gpt-4o', errors: 1, promptTokens: 20, completionTokens: 10, costUsd: 0.1 + 0.2 }, a),
    agg('model', { model: 'mystery', errors: 1, promptTokens: 10, completionTokens: 2, unpricedRequests: 2 }, b),
    agg('bucket', { ts: new Date('2025-03-10T01:00:00Z'), errors: 1, costUsd: 0.3 }, a),
    agg('bucket', { ts: new Date('2025-03-10T03:00:00Z'), errors: 1 }, b),
  ];
  const hist = [...a, ...b].reduce((h, l) => addToHistogram(h, l), emptyHistogram());
  const report = buildMetricsReport({ rows, hist }, range);

  it('should compute the summary with rates, averages and percentiles from the merged histogram', () => {
    expect(report.summary).toEqual({
      totalRequests: 5,
      errorCount: 2,
      errorRate: 0.4,
      promptTokens: 30,
      completionTokens: 12,
      totalTokens: 42,
      costUsd: 0.3,
      unpricedRequests: 2,
      unpricedModels: ['mystery'],
      avgLatencyMs: 1130,
      p50LatencyMs: Math.round(percentileFromHistogram(hist, 0.5)! * 100) / 100,
      p95LatencyMs: Math.round(percentileFromHistogram(hist, 0.95)! * 100) / 100,
      avgRiskScore: 30.2,
      highRiskCount: 1,
    });
  });

  it('should order models by requests and give a model with no priced request a null cost', () => {
    expect(report.byModel.map((m) => [m.model, m.requests, m.errorRate, m.totalTokens, m.costUsd])).toEqual([
      ['gpt-4o', 3, 0.3333, 30, 0.3],
      ['mystery', 2, 0.5, 12, null],
    ]);
  });

  it('should fill every hour of [from, to) and zero the gaps', () => {
    expect(report.series.map((p) => [p.ts.toISOString().slice(11, 16), p.requests, p.avgLatencyMs])).toEqual([
      ['00:00', 0, 0],
      ['01:00', 3, 200],
      ['02:00', 0, 0],
      ['03:00', 2, 2525],
    ]);
  });

  it('should answer zeros and null percentiles when there is nothing at all', () => {
    const empty = buildMetricsReport({ rows: [], hist: emptyHistogram() }, range);
    expect(empty.summary).toMatchObject({ totalRequests: 0, errorRate: 0, avgLatencyMs: 0, p95LatencyMs: null });
    expect(empty.byModel).toEqual([]);
    expect(empty.series).toHaveLength(4);
  });
});

describe('riskDistribution', () => {
  it('should list every level in order with shares, zeros included', () => {
    expect(
      riskDistribution([
        { level: 'high', requests: 1 },
        { level: 'low', requests: 3 },
      ]),
    ).toEqual([
      { level: 'low', requests: 3, share: 0.75 },
      { level: 'medium', requests: 0, share: 0 },
      { level: 'high', requests: 1, share: 0.25 },
      { level: 'critical', requests: 0, share: 0 },
    ]);
  });
});

describe('dailySeries', () => {
  it('should give one point per day of the range', () => {
    const days = dailySeries(
      [{ ts: new Date('2025-03-11T00:00:00Z'), requests: 4, errors: 1, costUsd: 0.5, totalTokens: 9 }],
      {
        from: new Date('2025-03-10T00:00:00Z'),
        to: new Date('2025-03-13T00:00:00Z'),
      },
    );
    expect(days.map((p) => p.requests)).toEqual([0, 4, 0]);
  });
});
