/**
 * Metrics test data: request rows with known createdAt inserted straight into llm_requests, and
 * the expected /metrics answer computed from those rows in plain JavaScript (independently of
 * the rollup SQL), to compare the API against.
 */
import type { PrismaClient } from '../../src/db/prisma.js';
import { uuidv7 } from '../../src/utils/ids.js';
import { riskLevelFor } from '../../src/domain/risk/riskScoring.js';
import { seededRandom } from '../../src/utils/random.js';

export interface SeedRow {
  id: string;
  projectId: string;
  model: string;
  endpoint: string | null;
  endUserId: string | null;
  status: 'success' | 'error';
  latencyMs: number;
  promptTokens: number | null;
  completionTokens: number | null;
  costUsd: number | null;
  riskScore: number;
  createdAt: Date;
}

/** Deterministic pseudo-random numbers (mulberry32). */
export const rng = seededRandom;

export const UNPRICED_MODEL = 'acme-private-llm';
const MODELS = ['gpt-4o', 'claude-3-5-sonnet', 'gpt-4o-mini', UNPRICED_MODEL];
const ENDPOINTS = ['chat', 'search', null];

export function makeRow(
  projectId: string,
  createdAt: Date,
  over: Partial<SeedRow> = {},
  random = Math.random,
): SeedRow {
  const picked = MODELS[Math.floor(random() * MODELS.length)] ?? 'gpt-4o';
  const model = over.model ?? picked;
  const promptTokens = random() < 0.1 ? null : Math.floor(random() * 2000);
  const completionTokens = random() < 0.1 ? null : Math.floor(random() * 800);
  return {
    id: uuidv7(createdAt.getTime()),
    projectId,
    model,
    endpoint: ENDPOINTS[Math.floor(random() * ENDPOINTS.length)] ?? null,
    endUserId: random() < 0.2 ? null : `user-${Math.floor(random() * 7)}`,
    status: random() < 0.15 ? 'error' : 'success',
    // log-uniform from 1 ms to ~30 s, plus some sub-millisecond-bucket zeros
    latencyMs: random() < 0.02 ? 0 : Math.round(Math.exp(random() * Math.log(30_000))),
    promptTokens,
    completionTokens,
    costUsd: model === UNPRICED_MODEL ? null : Math.round(random() * 1e6) / 1e8,
    riskScore: Math.floor(random() * 101),
    createdAt,
    ...over,
  };
}

export async function insertRows(prisma: PrismaClient, rows: readonly SeedRow[]): Promise<void> {
  await prisma.llmRequest.createMany({
    data: rows.map((r) => ({
      ...r,
      effectiveModel: r.model,
      prompt: 'seeded prompt',
      totalTokens:
        r.promptTokens === null && r.completionTokens === null
          ? null
          : (r.promptTokens ?? 0) + (r.completionTokens ?? 0),
      riskLevel: riskLevelFor(r.riskScore),
      riskFlags: [],
      decision: 'allow' as const,
    })),
  });
}

const round = (v: number, d: number) => Math.round(v * 10 ** d) / 10 ** d;

function sums(rows: readonly SeedRow[]) {
  const requests = rows.length;
  const errors = rows.filter((r) => r.status === 'error').length;
  const promptTokens = rows.reduce((s, r) => s + (r.promptTokens ?? 0), 0);
  const completionTokens = rows.reduce((s, r) => s + (r.completionTokens ?? 0), 0);
  const costUsd = rows.reduce((s, r) => s + (r.costUsd ?? 0), 0);
  const latency = rows.reduce((s, r) => s + r.latencyMs, 0);
  return {
    requests,
    errors,
    errorRate: requests ? round(errors / requests, 4) : 0,
    promptTokens,
    completionTokens,
    totalTokens: promptTokens + completionTokens,
    costUsd,
    avgLatencyMs: requests ? round(latency / requests, 2) : 0,
    unpricedRequests: rows.filter((r) => r.costUsd === null).length,
    riskSum: rows.reduce((s, r) => s + r.riskScore, 0),
    highRiskCount: rows.filter((r) => r.riskScore >= 60).length,
  };
}

/** Exact nearest-rank percentile of the latencies (null when none). */
export function exactPercentile(rows: readonly SeedRow[], p: number): number | null {
  if (rows.length === 0) return null;
  const sorted = rows.map((r) => r.latencyMs).sort((a, b) => a - b);
  return sorted[Math.max(0, Math.ceil(p * sorted.length) - 1)] ?? null;
}

/** What /metrics must answer for [from, to) (aligned) over `rows`, computed directly. */
export function expectedMetrics(rows: readonly SeedRow[], from: Date, to: Date, granularity: 'hour' | 'day') {
  const inRange = rows.filter((r) => r.createdAt >= from && r.createdAt < to);
  const total = sums(inRange);
  const models = [...new Set(inRange.map((r) => r.model))];
  const byModel = models
    .map((model) => ({ model, ...sums(inRange.filter((r) => r.model === model)) }))
    .sort((a, b) => b.requests - a.requests || (a.model < b.model ? -1 : 1));
  const step = granularity === 'hour' ? 3_600_000 : 86_400_000;
  const series = [];
  for (let t = from.getTime(); t < to.getTime(); t += step) {
    const bucket = sums(inRange.filter((r) => r.createdAt.getTime() >= t && r.createdAt.getTime() < t + step));
    series.push({ ts: new Date(t).toISOString(), ...bucket });
  }
  return { inRange, total, byModel, series };
}
