/**
 * How an IngestWriter is set up (its options and their defaults) and what it counts (its stats,
 * read by the metrics and the benchmarks).
 */
import type { Logger } from 'pino';

export interface IngestWriterOptions {
  maxBatch?: number;
  /**
   * Characters of prompt and response text in one batch, at most (a batch always takes at least
   * one row): the batch's JSON is built in one synchronous step, and four 2 MB rows in one
   * batch held the event loop for ~50 ms; so large rows go in batches of their own.
   */
  maxBatchChars?: number;
  maxWaitMs?: number;
  maxQueue?: number;
  /** Batches committing at the same time (each on its own connection). */
  concurrency?: number;
  logger?: Logger;
}

/** Text characters per batch by default: ordinary rows fill maxBatch long before this. */
export const DEFAULT_MAX_BATCH_CHARS = 2 * 1024 * 1024;

/** The writer's counters, all zero. */
export function newWriterStats() {
  return {
    batches: 0,
    rows: 0,
    failedBatches: 0,
    /** batches split to isolate a row the database refused */
    splitBatches: 0,
    /** single rows the database refused (their callers got a permanent error) */
    refusedRows: 0,
    refused: 0,
    overQuota: 0,
    lastCommitMs: 0,
  };
}
