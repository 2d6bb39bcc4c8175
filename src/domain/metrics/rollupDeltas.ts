/**
 * Turning committed request rows into rollup deltas: one per (project, UTC hour, model, endpoint),
 * the unit `metric_rollups` is keyed by. Pure: no I/O, no clock.
 */
import { addToHistogram, emptyHistogram, type LatencyHistogram } from './histogram.js';
import { RISK_LEVEL_THRESHOLDS } from '../risk/riskScoring.js';

/** A request counts as high risk from this score (the `high` risk level) up. */
export const HIGH_RISK_SCORE = RISK_LEVEL_THRESHOLDS.high;

export const HOUR_MS = 3_600_000;

/** The fields of a stored request that rollups are made of. */
export interface RollupSource {
  projectId: string;
  model: string;
  endpoint: string | null;
  status: 'success' | 'error';
  promptTokens: number | null;
  completionTokens: number | null;
  costUsd: number | null;
  latencyMs: number;
  riskScore: number;
  createdAt: Date;
}

/** The additive columns of a rollup row, whatever range or group they are summed over. */
export interface RollupSums {
  requests: number;
  errors: number;
  promptTokens: number;
  completionTokens: number;
  /** sum over priced requests; unpriced ones are counted in `unpricedRequests` */
  costUsd: number;
  unpricedRequests: number;
  latencySumMs: number;
  riskSum: number;
  highRiskCount: number;
}

/** Amounts to add to one rollup row; `endpoint` is '' for requests without one (it is in the key). */
export interface RollupDelta extends RollupSums {
  projectId: string;
  hour: Date;
  model: string;
  endpoint: string;
  latencyHist: LatencyHistogram;
}

/** Start of the UTC hour containing `d`. */
export function hourStart(d: Date): Date {
  return new Date(Math.floor(d.getTime() / HOUR_MS) * HOUR_MS);
}

function compareDeltas(a: RollupDelta, b: RollupDelta): number {
  if (a.projectId !== b.projectId) return a.projectId < b.projectId ? -1 : 1;
  if (a.hour.getTime() !== b.hour.getTime()) return a.hour.getTime() - b.hour.getTime();
  if (a.model !== b.model) return a.model < b.model ? -1 : 1;
  if (a.endpoint !== b.endpoint) return a.endpoint < b.endpoint ? -1 : 1;
  return 0;
}

/**
 * Sums a batch per rollup key, so the batch is applied with one upsert that touches each
 * rollup row once (PostgreSQL refuses to update one row twice in a statement). Sorted by key.
 */
export function aggregateBatch(rows: readonly RollupSource[]): RollupDelta[] {
  const byKey = new Map<string, RollupDelta>();
  for (const row of rows) {
    const hour = hourStart(row.createdAt);
    const endpoint = row.endpoint ?? '';
    const key = deltaKey({ projectId: row.projectId, hour, model: row.model, endpoint });
    let delta = byKey.get(key);
    if (!delta) {
      delta = {
        projectId: row.projectId,
        hour,
        model: row.model,
        endpoint,
        requests: 0,
        errors: 0,
        promptTokens: 0,
        completionTokens: 0,
        costUsd: 0,
        unpricedRequests: 0,
        latencySumMs: 0,
        latencyHist: emptyHistogram(),
        riskSum: 0,
        highRiskCount: 0,
      };
      byKey.set(key, delta);
    }
    delta.requests++;
    if (row.status === 'error') delta.errors++;
    delta.promptTokens += row.promptTokens ?? 0;
    delta.completionTokens += row.completionTokens ?? 0;
    if (row.costUsd === null) delta.unpricedRequests++;
    else delta.costUsd += row.costUsd;
    delta.latencySumMs += row.latencyMs;
    addToHistogram(delta.latencyHist, row.latencyMs);
    delta.riskSum += row.riskScore;
    if (row.riskScore >= HIGH_RISK_SCORE) delta.highRiskCount++;
  }
  return [...byKey.values()].sort(compareDeltas);
}

/** The rollup key of a delta (project, UTC hour, model, endpoint). */
export function deltaKey(d: Pick<RollupDelta, 'projectId' | 'hour' | 'model' | 'endpoint'>): string {
  return `${d.projectId}\u0000${d.hour.getTime()}\u0000${d.model}\u0000${d.endpoint}`;
}

/** Adds `deltas` into `into` (keyed by `deltaKey`), so several batches become one upsert. */
export function mergeDeltas(into: Map<string, RollupDelta>, deltas: readonly RollupDelta[]): void {
  for (const d of deltas) {
    const key = deltaKey(d);
    const acc = into.get(key);
    if (!acc) {
      into.set(key, { ...d, latencyHist: [...d.latencyHist] });
      continue;
    }
    acc.requests += d.requests;
    acc.errors += d.errors;
    acc.promptTokens += d.promptTokens;
    acc.completionTokens += d.completionTokens;
    acc.costUsd += d.costUsd;
    acc.unpricedRequests += d.unpricedRequests;
    acc.latencySumMs += d.latencySumMs;
    d.latencyHist.forEach((n, i) => (acc.latencyHist[i] = (acc.latencyHist[i] ?? 0) + n));
    acc.riskSum += d.riskSum;
    acc.highRiskCount += d.highRiskCount;
  }
}

/** The merged deltas in key order (the order upserts lock rollup rows in). */
export function sortedDeltas(merged: Map<string, RollupDelta>): RollupDelta[] {
  return [...merged.values()].sort(compareDeltas);
}
