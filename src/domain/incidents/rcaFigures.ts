/**
 * Reading an incident's figures and its sample of requests, and writing numbers, for the
 * deterministic RCA (rcaFallback.ts).
 */
import type { RcaIncident, RcaRequest } from './rcaPrompt.js';

/** An incident's figures, as its detector wrote them. */
export type Figures = Record<string, unknown>;

export function num(f: Figures, ...keys: string[]): number | undefined {
  for (const k of keys) {
    const v = f[k];
    if (typeof v === 'number' && Number.isFinite(v)) return v;
  }
  return undefined;
}

export function str(f: Figures, ...keys: string[]): string | undefined {
  for (const k of keys) {
    const v = f[k];
    if (typeof v === 'string' && v.trim()) return v.trim();
  }
  return undefined;
}

/** Most frequent values, ties broken alphabetically (deterministic). */
export function top(values: string[], n: number): { value: string; count: number }[] {
  const counts = new Map<string, number>();
  for (const v of values) counts.set(v, (counts.get(v) ?? 0) + 1);
  return [...counts]
    .map(([value, count]) => ({ value, count }))
    .sort((a, b) => b.count - a.count || a.value.localeCompare(b.value))
    .slice(0, n);
}

export const mostFrequent = (values: string[]) => top(values, 1)[0];

export function percentile(values: number[], p: number): number | undefined {
  if (values.length === 0) return undefined;
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)];
}

export const ms = (v: number) => `${Math.round(v)} ms`;
export const usd = (v: number) => `$${v >= 1 ? v.toFixed(2) : v.toFixed(4)}`;
export const pct = (v: number) => `${Math.round(v * 1000) / 10}%`;
export const round = (v: number) => String(Math.round(v * 100) / 100);
export const where = (i: RcaIncident) => (i.endpoint ? ` on endpoint "${i.endpoint}"` : '');
/** "3 occurrences between A and B", or "1 occurrence at A" (one timestamp is not a range). */
export const window = (i: RcaIncident) => {
  const occurrences = `${i.count} occurrence${i.count === 1 ? '' : 's'}`;
  const first = i.firstSeenAt.toISOString();
  const last = i.lastSeenAt.toISOString();
  return i.count <= 1 || first === last ? `${occurrences} at ${first}` : `${occurrences} between ${first} and ${last}`;
};
export const listTop = (items: { value: string; count: number }[]) =>
  items.map((t) => `${t.value} (${t.count})`).join(', ');

/** The parts that apply, as one sentence: "A; b; c." */
export function sentence(parts: (string | false | undefined | null)[]): string {
  const text = parts.filter((p): p is string => Boolean(p)).join('; ');
  return `${text.charAt(0).toUpperCase()}${text.slice(1)}.`;
}

export const median = (values: number[]) => percentile(values, 50) ?? 0;

/** The requests of the sample grouped by the model that served them, in name order. */
export function byModel(reqs: readonly RcaRequest[]): Map<string, RcaRequest[]> {
  const groups = new Map<string, RcaRequest[]>();
  for (const r of [...reqs].sort((a, b) => a.effectiveModel.localeCompare(b.effectiveModel))) {
    groups.set(r.effectiveModel, [...(groups.get(r.effectiveModel) ?? []), r]);
  }
  return groups;
}
