import { describe, expect, it } from 'vitest';
import { hourlyPoints, severityFromZ } from '../../src/services/incidents/anomalyService.js';
import { severityFromDatadog } from '../../src/services/incidents/datadogService.js';
import { baseline, detectAnomalies, detectAnomaly } from '../../src/domain/incidents/anomaly.js';
import {
  DEFAULT_THRESHOLDS as T,
  costSpikeFinding,
  errorRateFinding,
  latencyFindings,
  riskStreak,
  severityFromRatio,
  thresholdsFor,
} from '../../src/domain/incidents/incidentRules.js';

const row = (latencyMs: number, endpoint: string | null = 'chat', riskScore = 0) => ({
  latencyMs,
  endpoint,
  riskScore,
  createdAt: new Date(),
});

describe('latency rule', () => {
  it('should not fire at exactly the threshold and fire just above it', () => {
    expect(latencyFindings([row(5000)], T)).toEqual([]);
    expect(latencyFindings([row(5001)], T)).toEqual([
      { endpoint: 'chat', count: 1, maxLatencyMs: 5001, severity: 'low' },
    ]);
  });

  it('should group slow requests by endpoint and grade severity by the worst one', () => {
    const f = latencyFindings([row(6000), row(21_000), row(9000, null), row(100)], T);
    expect(f).toEqual([
      { endpoint: 'chat', count: 2, maxLatencyMs: 21_000, severity: 'critical' },
      { endpoint: '', count: 1, maxLatencyMs: 9000, severity: 'medium' },
    ]);
  });

  it('should honour a project threshold', () => {
    expect(latencyFindings([row(1500)], thresholdsFor({ latencyMs: 1000 }))).toHaveLength(1);
  });
});

describe('error rate rule', () => {
  it('should need the minimum sample', () => {
    expect(errorRateFinding(19, 19, T)).toBeNull();
    expect(errorRateFinding(20, 4, T)).toMatchObject({ rate: 0.2, severity: 'high' });
  });

  it('should not fire at exactly 10% and fire above it', () => {
    expect(errorRateFinding(100, 10, T)).toBeNull();
    expect(errorRateFinding(100, 11, T)).toMatchObject({ severity: 'low' });
    expect(errorRateFinding(100, 60, T)).toMatchObject({ severity: 'critical' });
  });
});

describe('risk streak rule', () => {
  it('should fire only when the newest three all exceed 80', () => {
    expect(riskStreak([90, 85, 81], T)).toMatchObject({ severity: 'medium' });
    expect(riskStreak([90, 80, 95], T)).toBeNull();
    expect(riskStreak([99, 99], T)).toBeNull();
    expect(riskStreak([99, 98, 97, 10], T)).toMatchObject({ severity: 'critical' });
  });
});

describe('cost spike rule', () => {
  it('should need history and fire only beyond +50%', () => {
    expect(costSpikeFinding(100, [0, 0, 0], T)).toBeNull();
    expect(costSpikeFinding(15, [10, 10], T)).toBeNull();
    expect(costSpikeFinding(15.01, [10, 10], T)).toMatchObject({ average: 10, severity: 'low' });
    expect(costSpikeFinding(100, [10], T)).toMatchObject({ severity: 'critical' });
  });
});

describe('thresholds and severity', () => {
  it('should keep defaults for invalid overrides', () => {
    expect(thresholdsFor({ latencyMs: -5, errorRate: 'x', riskScore: 70 })).toEqual({ ...T, riskScore: 70 });
    expect(thresholdsFor(null)).toEqual(T);
  });

  it('should grade by ratio', () => {
    expect([1.1, 1.5, 2, 4].map(severityFromRatio)).toEqual(['low', 'medium', 'high', 'critical']);
  });

  it('should map Datadog priorities and alert types', () => {
    expect(['P1', 'p2', 'P3', 'P4', 'P5'].map((p) => severityFromDatadog(p))).toEqual([
      'critical',
      'high',
      'medium',
      'low',
      'low',
    ]);
    expect(severityFromDatadog(null, 'error')).toBe('high');
    expect(severityFromDatadog(undefined, 'info')).toBe('low');
  });
});

describe('3-sigma statistics', () => {
  it('should compute mean and sample standard deviation', () => {
    const b = baseline([2, 4, 4, 4, 5, 5, 7, 9]);
    expect(b.mean).toBe(5);
    expect(b.stddev).toBeCloseTo(2.138, 3);
  });

  it('should flag a value beyond 3 sigma and not one within', () => {
    const history = Array.from({ length: 48 }, (_, i) => 100 + (i % 2 === 0 ? 5 : -5));
    expect(detectAnomaly('requests', history, 104)).toBeNull();
    expect(detectAnomaly('requests', history, 200)).toMatchObject({ metric: 'requests', mean: 100 });
    expect(detectAnomaly('requests', history, 10)?.zScore).toBeLessThan(-3);
  });

  it('should need the minimum history', () => {
    expect(detectAnomaly('requests', [100, 100, 100], 1000)).toBeNull();
  });

  it('should ignore tiny changes on a perfectly flat baseline', () => {
    const flat = Array.from({ length: 30 }, () => 100);
    expect(detectAnomaly('requests', flat, 101)).toBeNull();
    expect(detectAnomaly('requests', flat, 300)?.zScore).toBe(Infinity);
  });

  it('should check every metric', () => {
    const point = { requests: 100, errorRate: 0.01, p95LatencyMs: 800, costUsd: 1, meanRisk: 10 };
    const history = Array.from({ length: 30 }, (_, i) => ({ ...point, requests: 100 + (i % 3) }));
    expect(detectAnomalies(history, { ...point, errorRate: 0.5, requests: 101 }).map((f) => f.metric)).toEqual([
      'errorRate',
    ]);
  });

  it('should grade severity by z-score', () => {
    expect([3.5, 4, 6, 10, -12].map(severityFromZ)).toEqual(['low', 'medium', 'high', 'critical', 'critical']);
  });

  it('should zero-fill hours without rollups', () => {
    const from = new Date('2026-01-01T00:00:00Z');
    const points = hourlyPoints(
      [
        {
          projectId: 'p',
          hour: new Date('2026-01-01T01:00:00Z'),
          requests: 10,
          errors: 1,
          costUsd: 2,
          riskSum: 50,
          latencyHist: [],
        },
      ],
      from,
      new Date('2026-01-01T03:00:00Z'),
    );
    expect(points.map((p) => p.requests)).toEqual([0, 10, 0]);
    expect(points[1]).toMatchObject({ errorRate: 0.1, costUsd: 2, meanRisk: 5 });
  });
});
