/**
 * The search vector of large rows, built after their commit.
 *
 * `llm_requests.search` (English and German stems of prompt and response) is kept by a trigger
 * (migration search_deferred_for_large_rows). A row whose prompt and response hold at most
 * SEARCH_INLINE_BYTES gets its vector in the insert, as the generated column did. A larger row is
 * stored with `search` NULL: building its vector takes PostgreSQL 30-105 ms for 2 x 1 MB of text,
 * and the call's 201 (with every other call of the same batch) would wait for it.
 *
 * This module fills those rows: after their batch commits, at the first quiet moment (one at a
 * time, on the connection it is given: server.ts gives it one of its own at a low CPU priority,
 * searchFillConnection.ts; never delaying a caller), and in a sweep (`fillPendingSearch`, at start-up and every
 * minute from the cron job) for any row the server did not reach, e.g. when it crashed between the
 * commit and the fill. Until then a word search does not find that row; nothing else waits.
 */
import type { Logger } from 'pino';
import { errorText } from '../../db/backoff.js';
import { postgresErrorCode } from '../../db/pgErrors.js';
import { deferredSearchFills } from '../../observability/metrics.js';
import { quietFor } from './heavyWork.js';
import type { IngestWriter, LlmRequestRow } from './ingestWriter.js';

/** Also in the trigger llmguard_search_on_write (prompt and response, UTF-8 bytes together). */
export const SEARCH_INLINE_BYTES = 32_768;

/**
 * The fill of a row waits until no large assessment has run for SETTLE_MS (heavyWork.ts), at
 * most MAX_DELAY_MS after its commit: on a small box its 30-105 ms of database CPU would
 * otherwise land on the next large call (20-40 ms slower, measured back to back).
 */
export const FILL_SETTLE_MS = 100;
export const FILL_MAX_DELAY_MS = 2_000;

/** A client or a transaction: one raw statement. */
export interface SearchFillDb {
  $queryRawUnsafe<T = unknown>(query: string, ...values: unknown[]): Promise<T>;
  $executeRawUnsafe(query: string, ...values: unknown[]): Promise<number>;
}

/** Whether the trigger left this row's vector to be filled after the commit (its byte rule). */
export function needsDeferredSearch(row: Pick<LlmRequestRow, 'prompt' | 'response'>): boolean {
  const units = row.prompt.length + (row.response?.length ?? 0);
  // A UTF-16 code unit is 1 to 3 bytes of UTF-8: only the middle band needs counting.
  if (units > SEARCH_INLINE_BYTES) return true;
  if (units * 3 <= SEARCH_INLINE_BYTES) return false;
  return Buffer.byteLength(row.prompt) + Buffer.byteLength(row.response ?? '') > SEARCH_INLINE_BYTES;
}

export interface PendingRow {
  projectId: string;
  id: string;
  createdAt: Date;
}

/**
 * The row is named by project, id and createdAt (the partition key), so only its partition (and,
 * distributed, its shard) is visited. The vector cannot outgrow tsvector's 1 MB of lexemes: each
 * text is capped at 200,000 characters, so the two stemmings hold at most 800,000 bytes of them.
 */
const FILL_SQL = `
  UPDATE llm_requests SET search = llmguard_search_vector(prompt, response)
  WHERE "projectId" = $1 AND id = $2 AND "createdAt" = ($3::timestamptz AT TIME ZONE 'UTC') AND search IS NULL`;

/** Fills one row's vector; true when it was still pending. */
export async function fillSearch(db: SearchFillDb, row: PendingRow): Promise<boolean> {
  const filled = (await db.$executeRawUnsafe(FILL_SQL, row.projectId, row.id, row.createdAt.toISOString())) > 0;
  if (filled) deferredSearchFills.inc();
  return filled;
}

/**
 * Fills rows still waiting for their vector, oldest first, at most `limit` of them (the partial
 * index llm_requests_search_pending_idx finds them, across projects: a maintenance sweep, like the
 * other cron jobs that visit every project). Returns how many it filled.
 */
export async function fillPendingSearch(db: SearchFillDb, limit = 200): Promise<number> {
  let filled = 0;
  while (filled < limit) {
    const rows = await db.$queryRawUnsafe<PendingRow[]>(
      `SELECT "projectId", id, "createdAt" FROM llm_requests WHERE search IS NULL ORDER BY "createdAt" LIMIT $1`,
      Math.min(50, limit - filled),
    );
    if (rows.length === 0) break;
    for (const row of rows) {
      await fillSearch(db, row);
      filled++;
    }
  }
  return filled;
}

export interface DeferredSearch {
  /** Fills no more rows (shutdown; the sweep takes what is left); resolves when the fill under way ends. */
  close(): Promise<void>;
}

const DEFERRED = Symbol('deferred search');

/** Registers the post-commit fill on `writer` (once per writer; a second call returns the first). */
export function registerDeferredSearch(writer: IngestWriter, db: SearchFillDb, logger?: Logger): DeferredSearch {
  const existing = writer.attachment<DeferredSearch>(DEFERRED);
  if (existing) return existing;
  const queue: (PendingRow & { committedAt: number })[] = [];
  let running: Promise<void> | undefined;
  let closed = false;

  /** Resolves at a quiet moment, or once the row has waited FILL_MAX_DELAY_MS (or on close). */
  async function quietMoment(committedAt: number): Promise<void> {
    while (!closed && !quietFor(FILL_SETTLE_MS) && performance.now() - committedAt < FILL_MAX_DELAY_MS) {
      await new Promise((r) => setTimeout(r, FILL_SETTLE_MS / 4).unref());
    }
  }

  async function drain(): Promise<void> {
    for (let row = queue[0]; row && !closed; row = queue[0]) {
      await quietMoment(row.committedAt);
      queue.shift();
      if (closed) break;
      try {
        await fillSearch(db, row);
      } catch (err) {
        // cancelled by statement_timeout: at a low priority on a saturated machine, an expected outcome
        const level = postgresErrorCode(err) === '57014' ? 'info' : 'warn';
        logger?.[level](
          { err: errorText(err), requestId: row.id },
          'search vector fill failed; the minute sweep retries it',
        );
      }
    }
  }

  writer.onCommit((rows) => {
    if (closed) return;
    const committedAt = performance.now();
    for (const r of rows)
      if (needsDeferredSearch(r)) queue.push({ projectId: r.projectId, id: r.id, createdAt: r.createdAt, committedAt });
    if (queue.length === 0 || running) return;
    running = drain().finally(() => {
      running = undefined;
    });
  });

  const deferred: DeferredSearch = {
    close() {
      closed = true;
      return running ?? Promise.resolve();
    },
  };
  return writer.attach(DEFERRED, deferred);
}
