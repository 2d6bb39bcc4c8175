/**
 * The plan quotas a batch of rows is counted against (billing's quotaService makes them): each
 * row may carry a counter, and the batch's statement counts the rows of one counter together and
 * leaves out those past its limit (ingestBatch.ts). The counters travel as one JSON parameter.
 */
import type { LlmRequestRow } from './ingestBatch.js';

/**
 * A plan quota the row must fit under: `limit` rows per (userId, periodStart) counter. A row
 * that does not fit is not stored and its write rejects with `refusal()`.
 */
export interface QuotaCounter {
  userId: string;
  periodStart: Date;
  limit: number;
  refusal(): Error;
}

/** A counter's identity: the rows of one (user, period, limit) are counted together. */
export function quotaCounterKey(counter: Pick<QuotaCounter, 'userId' | 'periodStart' | 'limit'>): string {
  return `${counter.userId}|${counter.periodStart.getTime()}|${counter.limit}`;
}

/** The counters of a batch's rows as the statement takes them: one entry per counter, with its rows' ids. */
export function batchCountersJson(entries: readonly { row: LlmRequestRow; counter?: QuotaCounter }[]): string {
  const counters = new Map<string, { userId: string; periodStart: Date; limit: number; ids: string[] }>();
  for (const { row, counter } of entries) {
    if (!counter) continue;
    const { userId, periodStart, limit } = counter;
    const key = quotaCounterKey(counter);
    const entry = counters.get(key) ?? { userId, periodStart, limit, ids: [] };
    entry.ids.push(row.id);
    counters.set(key, entry);
  }
  return JSON.stringify([...counters.values()]);
}
