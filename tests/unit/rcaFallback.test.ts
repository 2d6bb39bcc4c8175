import { describe, expect, it } from 'vitest';
import { fallbackRca } from '../../src/domain/incidents/rcaFallback.js';
import { rcaIncident as incident, rcaRequest as req } from '../helpers/rcaFixtures.js';

describe('fallbackRca', () => {
  it('latency: names endpoint, model, p95/max vs threshold and suggests a faster model of the sample', () => {
    const out = fallbackRca(incident({ figures: { thresholdMs: 5000, p95Ms: 8200, maxLatencyMs: 9100 } }), [
      req({ latencyMs: 9100 }),
      req({ latencyMs: 7000 }),
      req({ latencyMs: 6000, effectiveModel: 'claude-sonnet-4-5' }),
      req({ latencyMs: 900, effectiveModel: 'gpt-4o-mini' }),
    ]);
    expect(out.severity).toBe('high');
    expect(out.rootCause).toContain('endpoint "chat"');
    expect(out.rootCause).toContain('5000 ms threshold');
    expect(out.rootCause).toContain('p95 8200 ms, max 9100 ms');
    expect(out.rootCause).toContain('2 of 3 slow sampled requests used gpt-4o');
    expect(out.suggestedRemediation).toEqual({ action: 'switch_model', params: { from: 'gpt-4o', to: 'gpt-4o-mini' } });
  });

  it('latency: computes p95 and max from the samples when the figures lack them', () => {
    const out = fallbackRca(incident({ figures: {} }), [req({ latencyMs: 6000 }), req({ latencyMs: 12000 })]);
    expect(out.rootCause).toContain('p95 12000 ms, max 12000 ms');
  });

  it('error_rate: gives the error share and the top error messages', () => {
    const out = fallbackRca(
      incident({
        type: 'error_rate',
        severity: 'medium',
        endpoint: '',
        figures: { errorRate: 0.25, errors: 5, total: 20 },
      }),
      [
        req({ status: 'error', error: 'Request timed out' }),
        req({ status: 'error', error: 'Request timed out' }),
        req({ status: 'error', error: 'Rate limit reached for gpt-4o' }),
      ],
    );
    expect(out.severity).toBe('medium');
    expect(out.rootCause).toContain('25% of requests (5 of 20)');
    expect(out.rootCause).toContain('"Request timed out" (2)');
    expect(out.rootCause).toContain('"Rate limit reached for gpt-4o" (1)');
  });

  it('risk: lists the top flags and suggests rate-limiting a dominant end user', () => {
    const risky = (flags: string[], user: string) => req({ riskScore: 92, riskFlags: flags, endUserId: user });
    const out = fallbackRca(
      incident({ type: 'risk', severity: 'critical', figures: { threshold: 80, consecutive: 3 } }),
      [
        risky(['prompt_injection', 'pii:email'], 'mallory'),
        risky(['prompt_injection'], 'mallory'),
        risky(['jailbreak'], 'trent'),
      ],
    );
    expect(out.rootCause).toContain('3 consecutive requests on endpoint "chat" scored above 80');
    expect(out.rootCause).toContain('top risk flags: prompt_injection (2)');
    expect(out.rootCause).toContain('end user "mallory"');
    expect(out.suggestedRemediation).toEqual({
      action: 'rate_limit_user',
      params: { userId: 'mallory', limit: 10, windowSeconds: 3600 },
    });
  });

  it('risk: suggests a stricter safety threshold when no end user dominates', () => {
    const out = fallbackRca(incident({ type: 'risk' }), [
      req({ riskScore: 90, endUserId: 'a' }),
      req({ riskScore: 85, endUserId: 'b' }),
      req({ riskScore: 88, endUserId: 'c' }),
    ]);
    expect(out.suggestedRemediation).toEqual({ action: 'increase_safety_threshold', params: { threshold: 70 } });
  });

  it('cost_spike: names the model that drove the cost and suggests a cheaper one', () => {
    const out = fallbackRca(
      incident({
        type: 'cost_spike',
        endpoint: '',
        figures: { last24hCostUsd: 30, trailingDailyAverageUsd: 12, ratio: 2.5 },
      }),
      [
        req({ effectiveModel: 'gpt-4.1', costUsd: 0.9 }),
        req({ effectiveModel: 'gpt-4.1', costUsd: 0.6 }),
        req({ effectiveModel: 'gpt-4o-mini', costUsd: 0.5 }),
      ],
    );
    expect(out.rootCause).toContain('$30.00 against a trailing daily average of $12.00 (+150%)');
    expect(out.rootCause).toContain('gpt-4.1 drove 75% of the cost');
    expect(out.suggestedRemediation).toEqual({
      action: 'switch_model',
      params: { from: 'gpt-4.1', to: 'gpt-4o-mini' },
    });
  });

  it('anomaly: names each metric of the job findings with its z-score, largest first', () => {
    const out = fallbackRca(
      incident({
        type: 'anomaly',
        endpoint: '',
        figures: {
          hour: '2026-11-20T09:00:00.000Z',
          findings: [
            { metric: 'requests', value: 900, mean: 400, stddev: 100, zScore: 5 },
            { metric: 'p95LatencyMs', value: 9000, mean: 1200, stddev: 300, zScore: 26 },
          ],
        },
      }),
      [],
    );
    expect(out.rootCause).toContain(
      'hourly p95LatencyMs was 9000 against a baseline mean of 1200 (σ 300), z-score 26; hourly requests was 900',
    );
    expect(out.recommendedFix).toContain('provider status');
    expect(out.suggestedRemediation).toBeUndefined();
  });

  it('anomaly: reads a z-score stored as null (flat baseline) as infinite', () => {
    const out = fallbackRca(
      incident({
        type: 'anomaly',
        endpoint: '',
        figures: { findings: [{ metric: 'errorRate', value: 0.4, mean: 0, stddev: 0, zScore: null }] },
      }),
      [],
    );
    expect(out.rootCause).toContain('hourly errorRate was 0.4 against a baseline mean of 0 (σ 0) on a flat baseline');
  });

  it('external: quotes the alert title and priority', () => {
    const out = fallbackRca(
      incident({
        type: 'external',
        endpoint: '',
        title: 'High p99 on llm-gateway',
        figures: { priority: 'P1', link: 'https://app.datadoghq.com/monitors/1', tags: ['env:prod'] },
      }),
      [],
    );
    expect(out.rootCause).toContain('(P1): "High p99 on llm-gateway"');
    expect(out.rootCause).toContain('[env:prod]');
    expect(out.recommendedFix).toContain('https://app.datadoghq.com/monitors/1');
  });

  it('should be deterministic', () => {
    const i = incident({ figures: { thresholdMs: 5000 } });
    const r = [req({ latencyMs: 7000 }), req({ latencyMs: 8000, effectiveModel: 'o3' })];
    expect(fallbackRca(i, r)).toEqual(fallbackRca(i, r));
  });
});
