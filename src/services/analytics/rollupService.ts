/**
 * Keeps `metric_rollups` current: each committed ingestion batch is summed per (project, hour,
 * model, endpoint) in memory, and the sums of the batches of a short interval (ROLLUP_FLUSH_MS)
 * are added with one upsert; the daily repair job re-derives a closed day from the raw rows,
 * which also heals any update that was lost (an upsert that failed after its retries). A crash
 * (kill -9, OOM) loses the sums still in memory: at start-up, before it serves, the server
 * re-derives every day from that of the newest stored row to today (repairAtStartup), so the
 * open day is exact again too.
 */
import type { Logger } from 'pino';
import { rebuildRollups, upsertRollupDeltas, type SqlClient } from '../../db/queries/rollupQueries.js';
import { env } from '../../config/env.js';
import { aggregateBatch, mergeDeltas, sortedDeltas, type RollupDelta } from '../../domain/metrics/rollupDeltas.js';
import type { IngestWriter } from '../ingest/ingestWriter.js';
import { DAY_MS } from '../../utils/time.js';

const MAX_ATTEMPTS = 3;

export interface RollupMaintainer {
  /** Called with the projects of each batch once its rollups are written (or given up on). */
  onApplied(listener: (projectIds: ReadonlySet<string>) => void): void;
  /**
   * Resolves when the rollup updates of every batch committed so far have finished, or after
   * `timeoutMs`: a reader that awaits it sees its own process's acknowledged writes.
   */
  settled(timeoutMs?: number): Promise<void>;
  /** batches received, upserts applied (one per flush), flushes lost after their retries */
  readonly stats: { batches: number; flushes: number; failures: number };
}

const ROLLUPS = Symbol('rollups');

const sleep = (ms: number) =>
  new Promise<void>((resolve) => {
    setTimeout(resolve, ms).unref();
  });

export interface RollupOptions {
  /**
   * Committed batches are summed in memory for at most this long and applied with one upsert
   * (default ROLLUP_FLUSH_MS): under load that is one rollup statement per interval instead of
   * one per batch. `settled()` applies what is buffered at once.
   */
  flushMs?: number;
}

/**
 * Registers the rollup update as a post-commit handler of `writer`. Idempotent per writer:
 * registering again returns the same maintainer instead of counting every batch twice.
 */
export function registerRollups(
  writer: IngestWriter,
  db: SqlClient,
  logger?: Logger,
  options: RollupOptions = {},
): RollupMaintainer {
  const existing = writer.attachment<RollupMaintainer>(ROLLUPS);
  if (existing) return existing;

  const flushMs = options.flushMs ?? env.ROLLUP_FLUSH_MS;
  const listeners: ((projectIds: ReadonlySet<string>) => void)[] = [];
  const stats = { batches: 0, flushes: 0, failures: 0 };
  let buffer = new Map<string, RollupDelta>();
  let timer: NodeJS.Timeout | undefined;
  let flushing: Promise<void> | undefined;

  async function apply(deltas: RollupDelta[]): Promise<void> {
    try {
      for (let attempt = 1; ; attempt++) {
        try {
          await upsertRollupDeltas(db, deltas);
          stats.flushes++;
          return;
        } catch (err) {
          // A statement that failed changed nothing, so trying again cannot double count.
          if (attempt >= MAX_ATTEMPTS) throw err;
          logger?.warn({ err, attempt }, 'rollup update failed; retrying');
          await sleep(25 * attempt);
        }
      }
    } finally {
      const projectIds = new Set(deltas.map((d) => d.projectId));
      for (const listener of listeners) listener(projectIds);
    }
  }

  async function drain(): Promise<void> {
    while (buffer.size > 0) {
      const deltas = sortedDeltas(buffer);
      buffer = new Map();
      await apply(deltas).catch((err: unknown) => {
        stats.failures++;
        logger?.error({ err, rollups: deltas.length }, 'rollup update lost; the daily rollup repair will restore it');
      });
    }
  }

  /** Applies everything buffered, one upsert at a time (so they never wait on each other's locks). */
  function flush(): Promise<void> {
    if (timer) {
      clearTimeout(timer);
      timer = undefined;
    }
    if (!flushing && buffer.size > 0) {
      // Cleared in a callback, so only after the assignment (drain may be short but never sync).
      flushing = drain().finally(() => {
        flushing = undefined;
      });
    }
    return flushing ?? Promise.resolve();
  }

  writer.onCommit((rows) => {
    stats.batches++;
    mergeDeltas(buffer, aggregateBatch(rows));
    if (flushMs === 0) return flush();
    timer ??= setTimeout(() => void flush(), flushMs);
  });

  const maintainer: RollupMaintainer = {
    onApplied(listener) {
      listeners.push(listener);
    },
    async settled(timeoutMs = 2_000) {
      // The writer schedules its handlers with setImmediate right after a commit.
      await new Promise((resolve) => setImmediate(resolve));
      const done = (async () => {
        while (buffer.size > 0 || flushing) await flush();
      })();
      await Promise.race([done, sleep(timeoutMs)]);
    },
    stats,
  };
  return writer.attach(ROLLUPS, maintainer);
}

/** Start of the UTC day containing `at`. */
export function utcDayStart(at: Date): Date {
  return new Date(Math.floor(at.getTime() / DAY_MS) * DAY_MS);
}

/**
 * Re-derives the rollups of the UTC day containing `day` from the raw rows. Call it in a
 * transaction (the cron job runs in one). Ingestion stamps rows when they arrive, so a closed
 * day receives no new rows and the rebuilt rollups stay exact.
 */
export async function repairRollupDay(db: SqlClient, day: Date) {
  const from = utcDayStart(day);
  const to = new Date(from.getTime() + DAY_MS);
  const { deleted, inserted } = await rebuildRollups(db, from, to);
  return { day: from.toISOString().slice(0, 10), rollupsReplaced: deleted, rollupsWritten: inserted };
}

/**
 * Start-up repair: re-derives the rollups of each UTC day from that of the newest rollup (today
 * when there is none or it lies ahead) to `now`'s, one transaction per day. Run before the
 * server takes traffic: the previous process may have been killed with sums still in memory
 * (rows committed in its last ROLLUP_FLUSH_MS), and the nightly repair only re-derives closed
 * days. Those sums belong to the hours after the last one applied, so no earlier day needs it;
 * a server down for days re-derives the empty days in between too (no rows: no rollups). It
 * costs what the nightly job costs per day: a scan of the day's partition. With several
 * replicas on one database, a replica that starts while others ingest may count the others'
 * rows of their last flush interval twice in the open day, until the nightly repair.
 */
export async function repairAtStartup(
  db: SqlClient & { $transaction<T>(fn: (tx: SqlClient) => Promise<T>): Promise<T> },
  now = new Date(),
): Promise<{ days: string[]; rollupsWritten: number }> {
  // metric_rollups is small next to llm_requests (which has no index led by createdAt).
  const [newest] = await db.$queryRaw<{ hour: Date | null }[]>`SELECT max("hour") AS hour FROM metric_rollups`;
  const days: string[] = [];
  let rollupsWritten = 0;
  const today = utcDayStart(now).getTime();
  const first = Math.min(utcDayStart(newest?.hour ?? now).getTime(), today);
  for (let day = first; day <= today; day += DAY_MS) {
    const repaired = await db.$transaction((tx) => repairRollupDay(tx, new Date(day)));
    days.push(repaired.day);
    rollupsWritten += repaired.rollupsWritten;
  }
  return { days, rollupsWritten };
}
