/**
 * Keeps `metric_rollups` current: after each committed ingestion batch, the batch is summed per
 * (project, hour, model, endpoint) in memory and added with one upsert; the daily repair job
 * re-derives a closed day from the raw rows, which also heals any update that was lost (a crash
 * between the commit and the upsert, an upsert that failed after its retries).
 */
import type { Logger } from 'pino';
import { rebuildRollups, upsertRollupDeltas, type SqlClient } from '../db/queries/rollupQueries.js';
import { aggregateBatch } from '../utils/rollupDeltas.js';
import type { IngestWriter, LlmRequestRow } from './ingestWriter.js';

const DAY_MS = 86_400_000;
const MAX_ATTEMPTS = 3;

export interface RollupMaintainer {
  /** Called with the projects of each batch once its rollups are written (or given up on). */
  onApplied(listener: (projectIds: ReadonlySet<string>) => void): void;
  /**
   * Resolves when the rollup updates of every batch committed so far have finished, or after
   * `timeoutMs`: a reader that awaits it sees its own process's acknowledged writes.
   */
  settled(timeoutMs?: number): Promise<void>;
  readonly stats: { batches: number; failures: number };
}

const maintainers = new WeakMap<IngestWriter, RollupMaintainer>();

const sleep = (ms: number) =>
  new Promise<void>((resolve) => {
    setTimeout(resolve, ms).unref();
  });

/**
 * Registers the rollup update as a post-commit handler of `writer`. Idempotent: the server
 * registers it where it creates the writer and createApp calls it again for whichever writer it
 * uses, which returns the same maintainer instead of counting every batch twice.
 */
export function registerRollups(writer: IngestWriter, db: SqlClient, logger?: Logger): RollupMaintainer {
  const existing = maintainers.get(writer);
  if (existing) return existing;

  const listeners: ((projectIds: ReadonlySet<string>) => void)[] = [];
  const pending = new Set<Promise<void>>();
  const stats = { batches: 0, failures: 0 };

  async function apply(rows: LlmRequestRow[]): Promise<void> {
    const deltas = aggregateBatch(rows);
    try {
      for (let attempt = 1; ; attempt++) {
        try {
          await upsertRollupDeltas(db, deltas);
          stats.batches++;
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

  writer.onCommit((rows) => {
    const done: Promise<void> = apply(rows)
      .catch((err: unknown) => {
        stats.failures++;
        logger?.error({ err, rows: rows.length }, 'rollup update lost; the daily rollup repair will restore it');
      })
      .finally(() => pending.delete(done));
    pending.add(done);
    return done;
  });

  const maintainer: RollupMaintainer = {
    onApplied(listener) {
      listeners.push(listener);
    },
    async settled(timeoutMs = 2_000) {
      // The writer schedules its handlers with setImmediate right after a commit.
      await new Promise((resolve) => setImmediate(resolve));
      if (pending.size === 0) return;
      await Promise.race([Promise.allSettled([...pending]), sleep(timeoutMs)]);
    },
    stats,
  };
  maintainers.set(writer, maintainer);
  return maintainer;
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
