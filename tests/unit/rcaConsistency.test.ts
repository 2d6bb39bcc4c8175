/**
 * The fallback RCA states only what its data shows, per incident type: a single occurrence is
 * "at T" (never "between T and T"), and every model it names or suggests is one the incident's
 * own requests used.
 */
import { describe, expect, it } from 'vitest';
import { fallbackRca } from '../../src/domain/incidents/rcaFallback.js';
import type { RcaAnswer, RcaRequest } from '../../src/domain/incidents/rcaPrompt.js';
import { INCIDENT_TYPES } from '../../src/types/vocabulary.js';
import { rcaIncident as incident, rcaRequest as req } from '../helpers/rcaFixtures.js';

const T = new Date('2026-11-20T10:00:00.000Z');
const once = { count: 1, firstSeenAt: T, lastSeenAt: T };

/** Model ids a text names (the shapes of the known providers' ids). */
const modelsIn = (text: string) =>
  text.match(/\b(?:gpt-[\w.-]+|o\d[\w-]*|claude-[\w.-]+|gemini-[\w.-]+|mistral-[\w.-]+|llama-[\w.-]+)/g) ?? [];

function expectOnlyModelsOf(out: RcaAnswer, reqs: readonly RcaRequest[], extra: string[] = []) {
  const used = new Set([...reqs.map((r) => r.effectiveModel), ...extra]);
  for (const m of modelsIn(`${out.rootCause} ${out.recommendedFix}`)) expect(used).toContain(m.replace(/[.,;]$/, ''));
  const params = out.suggestedRemediation?.params ?? {};
  for (const key of ['from', 'to'] as const) if (key in params) expect(used).toContain(params[key]);
}

function expectSingleOccurrence(out: RcaAnswer) {
  expect(out.rootCause).toContain(`1 occurrence at ${T.toISOString()}`);
  expect(out.rootCause).not.toContain('between');
}

describe('fallback RCA text against its data, per incident type', () => {
  it('covers every incident type', () => {
    expect([...INCIDENT_TYPES].sort()).toEqual(
      ['anomaly', 'cost_spike', 'error_rate', 'external', 'latency', 'negative_feedback', 'risk'].sort(),
    );
  });

  it('latency: names the slow model and suggests only a faster model the project used', () => {
    const reqs = [
      req({ effectiveModel: 'o3', latencyMs: 14_000 }),
      req({ effectiveModel: 'o3', latencyMs: 9_000 }),
      req({ effectiveModel: 'gpt-4o', latencyMs: 700 }),
      req({ effectiveModel: 'gpt-4o', latencyMs: 800 }),
      req({ effectiveModel: 'gpt-4o', latencyMs: 900 }),
    ];
    const out = fallbackRca(incident({ ...once, figures: { thresholdMs: 5000 } }), reqs);
    expectSingleOccurrence(out);
    expect(out.rootCause).toContain('2 of 2 slow sampled requests used o3');
    expect(out.rootCause).toContain('max 14000 ms');
    expect(out.suggestedRemediation).toEqual({ action: 'switch_model', params: { from: 'o3', to: 'gpt-4o' } });
    expect(out.recommendedFix).toContain('800 ms at the median');
    expectOnlyModelsOf(out, reqs);
  });

  it('latency: suggests no model when the sample shows no faster one (never one the project never used)', () => {
    const reqs = [
      req({ effectiveModel: 'gpt-4o', latencyMs: 8000 }),
      req({ effectiveModel: 'gpt-4o', latencyMs: 9000 }),
    ];
    const out = fallbackRca(incident({ ...once, figures: { thresholdMs: 5000 } }), reqs);
    expect(out.suggestedRemediation).toBeUndefined();
    expectOnlyModelsOf(out, reqs);
  });

  it('error_rate: the share and the failing model are those of the data', () => {
    const reqs = [
      req({ status: 'error', error: 'Request timed out', effectiveModel: 'claude-sonnet-4-5' }),
      req({ status: 'error', error: 'Request timed out', effectiveModel: 'claude-sonnet-4-5' }),
    ];
    const out = fallbackRca(
      incident({ ...once, type: 'error_rate', figures: { errorRate: 0.4, errors: 4, total: 10 } }),
      reqs,
    );
    expectSingleOccurrence(out);
    expect(out.rootCause).toContain('40% of requests (4 of 10)');
    expect(out.rootCause).toContain('2 of 2 failed samples used claude-sonnet-4-5');
    expectOnlyModelsOf(out, reqs);
  });

  it('risk: the count, the max score and the end user are those of the data', () => {
    const reqs = [
      req({ riskScore: 95, endUserId: 'mallory' }),
      req({ riskScore: 91, endUserId: 'mallory' }),
      req({ riskScore: 40, endUserId: 'alice' }),
    ];
    const out = fallbackRca(incident({ ...once, type: 'risk', figures: { threshold: 80 } }), reqs);
    expectSingleOccurrence(out);
    expect(out.rootCause).toContain('2 sampled requests on endpoint "chat" scored above 80 (max 95)');
    expect(out.rootCause).toContain('2 of them came from end user "mallory"');
    expectOnlyModelsOf(out, reqs);
  });

  it('cost_spike: the driving model and a cheaper model both come from the sample', () => {
    const reqs = [
      req({ effectiveModel: 'gpt-4.1', costUsd: 0.8, totalTokens: 100 }),
      req({ effectiveModel: 'gpt-4o-mini', costUsd: 0.2, totalTokens: 1000 }),
    ];
    const out = fallbackRca(
      incident({ ...once, type: 'cost_spike', figures: { last24hCostUsd: 20, trailingDailyAverageUsd: 10 } }),
      reqs,
    );
    expectSingleOccurrence(out);
    expect(out.rootCause).toContain('gpt-4.1 drove 80% of the cost');
    expect(out.suggestedRemediation).toEqual({
      action: 'switch_model',
      params: { from: 'gpt-4.1', to: 'gpt-4o-mini' },
    });
    expectOnlyModelsOf(out, reqs);
  });

  it('cost_spike: suggests no switch when the only model is the one that drove the cost', () => {
    const reqs = [req({ effectiveModel: 'gpt-4o', costUsd: 1 })];
    const out = fallbackRca(incident({ ...once, type: 'cost_spike', figures: { last24hCostUsd: 20 } }), reqs);
    expect(out.suggestedRemediation).toBeUndefined();
    expectOnlyModelsOf(out, reqs);
  });

  it('anomaly: each finding with its own value, baseline and z-score', () => {
    const out = fallbackRca(
      incident({
        ...once,
        type: 'anomaly',
        figures: { findings: [{ metric: 'errorRate', value: 0.3, mean: 0.01, stddev: 0.005, zScore: 58 }] },
      }),
      [],
    );
    expectSingleOccurrence(out);
    expect(out.rootCause).toContain('hourly errorRate was 0.3 against a baseline mean of 0.01 (σ 0.01), z-score 58');
    expectOnlyModelsOf(out, []);
  });

  it('external (Datadog alert): the alert as received, at its one timestamp', () => {
    const out = fallbackRca(
      incident({
        ...once,
        type: 'external',
        title: 'p99 latency high',
        figures: { priority: 'P2', tags: ['svc:api'] },
      }),
      [],
    );
    expectSingleOccurrence(out);
    expect(out.rootCause).toContain('(P2): "p99 latency high" [svc:api]');
    expectOnlyModelsOf(out, []);
  });

  it('negative_feedback: the rated model, its counts and the alternative the detector measured', () => {
    const reqs = [req({ effectiveModel: 'gpt-4o', endpoint: 'support' })];
    const out = fallbackRca(
      incident({
        ...once,
        type: 'negative_feedback',
        figures: { model: 'gpt-4o', negative: 6, total: 10, alternativeModel: 'gpt-4.1' },
      }),
      reqs,
    );
    expectSingleOccurrence(out);
    expect(out.rootCause).toContain('answers of gpt-4o negatively: 6 of 10 feedback items (60%)');
    expect(out.suggestedRemediation).toEqual({ action: 'switch_model', params: { from: 'gpt-4o', to: 'gpt-4.1' } });
    expectOnlyModelsOf(out, reqs, ['gpt-4.1']);
  });

  it('several occurrences at distinct times keep their range', () => {
    const out = fallbackRca(incident({ count: 3, firstSeenAt: T, lastSeenAt: new Date(T.getTime() + 60_000) }), [
      req({ latencyMs: 6000 }),
    ]);
    expect(out.rootCause).toContain(`3 occurrences between ${T.toISOString()} and 2026-11-20T10:01:00.000Z`);
  });
});
