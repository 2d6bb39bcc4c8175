/**
 * Durable group commit for LLM request rows. Rows wait at most `maxWaitMs` (or until
 * `maxBatch` are queued); one multi-row INSERT commits the batch; only then does each waiting
 * caller's promise resolve, so a 201 always means "committed". While one batch commits, the
 * next one fills. The queue is bounded: past `maxQueue` rows (a slow or absent database) new
 * rows are refused with 503 instead of piling up in memory. Committed batches are handed to
 * post-commit handlers (rollups, incident rules) without delaying the callers.
 */
import type { Logger } from 'pino';
import { ThrottledLog, errorText } from '../../db/backoff.js';
import { isConnectionFailure } from '../../db/databaseHealth.js';
import { postgresErrorCode } from '../../db/pgErrors.js';
import type { PrismaClient } from '../../db/prisma.js';
import { ingestBatchSize, ingestCommitSeconds, ingestRefused } from '../../observability/metrics.js';
import { AppError } from '../../utils/AppError.js';
import { databaseUnavailable } from '../appErrors.js';
import { pause } from '../../domain/slices.js';
import {
  batchStatement,
  type LlmRequestRow,
  prismaExecutor,
  rowRefusal,
  type SqlExecutor,
  textLength,
} from './ingestBatch.js';
import { batchCountersJson, type QuotaCounter } from './quotaCounters.js';
import { SettlingRows } from './settlingRows.js';
import { DEFAULT_MAX_BATCH_CHARS, type IngestWriterOptions, newWriterStats } from './writerOptions.js';

export { batchInPieces, batchJson, poolExecutor, prismaExecutor } from './ingestBatch.js';
export type { LlmRequestRow, SqlExecutor } from './ingestBatch.js';
export type { IngestWriterOptions } from './writerOptions.js';

export type CommitHandler = (rows: LlmRequestRow[]) => Promise<void> | void;

interface Pending {
  row: LlmRequestRow;
  counter?: QuotaCounter;
  /** performance.now() by which its batch should start */
  due: number;
  resolve: () => void;
  reject: (err: unknown) => void;
}

export class IngestWriter {
  private queue: Pending[] = [];
  private inFlight = 0;
  private timer?: NodeJS.Timeout;
  /** when the pending timer fires (Infinity: none) */
  private timerDue = Infinity;
  private flushes = new Set<Promise<void>>();
  private closed = false;
  private execute: SqlExecutor;
  readonly concurrency: number;
  private handlers: CommitHandler[] = [];
  /** rows written with `track`, until their write settles (whenSettled) */
  private tracked = new SettlingRows();
  readonly maxBatch: number;
  readonly maxBatchChars: number;
  readonly maxWaitMs: number;
  readonly maxQueue: number;
  private logger?: Logger;
  /** An outage fails every batch: logged once, then once per interval. */
  private outageLog: ThrottledLog;
  /** Counters for metrics and benchmarks. */
  readonly stats = newWriterStats();

  constructor(db: PrismaClient | SqlExecutor, options: IngestWriterOptions = {}) {
    this.execute = typeof db === 'function' ? db : prismaExecutor(db);
    this.concurrency = options.concurrency ?? 2;
    this.maxBatch = options.maxBatch ?? 500;
    this.maxBatchChars = options.maxBatchChars ?? DEFAULT_MAX_BATCH_CHARS;
    this.maxWaitMs = options.maxWaitMs ?? 2;
    this.maxQueue = options.maxQueue ?? 10_000;
    this.logger = options.logger;
    this.outageLog = new ThrottledLog(this.logger, 'ingest batches fail: database unavailable; callers get 503');
  }

  /** Rows accepted but not yet committed. */
  get depth(): number {
    return this.queue.length + this.inFlight;
  }

  onCommit(handler: CommitHandler): void {
    this.handlers.push(handler);
  }

  private attachments = new Map<symbol, unknown>();

  /**
   * What a post-commit maintainer (rollups, search-index upkeep) registered on this writer
   * under `key`: registering one twice returns the first instead of handling every batch twice.
   */
  attachment<T>(key: symbol): T | undefined {
    return this.attachments.get(key) as T | undefined;
  }

  attach<T>(key: symbol, value: T): T {
    this.attachments.set(key, value);
    return value;
  }

  /**
   * Resolves once the row is committed; rejects with 503 if it cannot be, or with the counter's
   * refusal when the row does not fit under its quota (then it is neither stored nor counted).
   * `maxWaitMs` overrides the writer's wait for this row: a caller that does not wait for the
   * commit (the gateway answers first) lets its row wait longer, so that it shares a batch with
   * more rows (one commit and one round of post-commit work for several calls); a batch that
   * starts earlier takes it along. `track` makes the row's progress known to whenSettled().
   */
  write(
    row: LlmRequestRow,
    counter?: QuotaCounter,
    options: { maxWaitMs?: number; track?: boolean } = {},
  ): Promise<void> {
    if (this.closed) {
      return Promise.reject(
        new AppError('SERVICE_UNAVAILABLE', 'Server is shutting down', { headers: { 'Retry-After': '1' } }),
      );
    }
    if (this.depth >= this.maxQueue) {
      this.stats.refused++;
      ingestRefused.inc({ reason: 'queue_full' });
      return Promise.reject(
        new AppError('SERVICE_UNAVAILABLE', 'Ingestion is saturated, retry shortly', {
          headers: { 'Retry-After': '1' },
        }),
      );
    }
    const written = new Promise<void>((resolve, reject) => {
      const due = performance.now() + (options.maxWaitMs ?? this.maxWaitMs);
      this.queue.push({ row, counter, due, resolve, reject });
      if (this.queue.length >= this.maxBatch) this.kick();
      else this.schedule(due);
    });
    if (options.track) this.tracked.add(row.id, written);
    return written;
  }

  /**
   * Settles (never rejects) once the row `id`, written here with `track`, is committed or has
   * failed; undefined when no such row is on its way in this process. Feedback on a call the
   * gateway answered before its commit waits on this instead of polling the database.
   */
  whenSettled(id: string): Promise<void> | undefined {
    return this.tracked.get(id);
  }

  /** A kick at `due` at the latest (an earlier one already set stays). */
  private schedule(due: number): void {
    if (this.timer && this.timerDue <= due) return;
    if (this.timer) clearTimeout(this.timer);
    this.timerDue = due;
    this.timer = setTimeout(() => this.kick(), Math.max(0, due - performance.now()));
  }

  private kick(): void {
    if (this.timer) {
      clearTimeout(this.timer);
      this.timer = undefined;
      this.timerDue = Infinity;
    }
    while (this.flushes.size < this.concurrency && this.queue.length > 0) {
      const flush: Promise<void> = this.drain().finally(() => {
        this.flushes.delete(flush);
        // Rows that arrived during the commit form the next batch at once, unless all of them
        // may still wait (rows written with a longer maxWaitMs).
        if (this.queue.length === 0) return;
        let due = Infinity;
        for (const p of this.queue) due = Math.min(due, p.due);
        if (this.queue.length >= this.maxBatch || due <= performance.now()) this.kick();
        else this.schedule(due);
      });
      this.flushes.add(flush);
    }
  }

  private async drain(): Promise<void> {
    const batch = this.queue.splice(0, this.batchLength());
    this.inFlight += batch.length;
    try {
      await this.commit(batch);
    } finally {
      this.inFlight -= batch.length;
    }
  }

  /** Rows the next batch takes: up to maxBatch, and up to maxBatchChars of text (one row at least). */
  private batchLength(): number {
    const end = Math.min(this.queue.length, this.maxBatch);
    let chars = 0;
    for (let i = 0; i < end; i++) {
      const { row } = this.queue[i]!;
      chars += textLength(row);
      if (chars > this.maxBatchChars && i > 0) return i;
    }
    return end;
  }

  /** One batch call; resolves with the ids refused by their quota counter. */
  private async insert(batch: Pending[]): Promise<Set<string>> {
    const rows = batch.map((p) => p.row);
    const { sql, params } = await batchStatement(rows, batchCountersJson(batch), pause);
    const result = await this.execute(sql, params);
    return new Set(result.rows.map((r) => String(r.id)));
  }

  /**
   * Commits `batch`. If the database is unreachable every caller gets a retryable 503. Any
   * other failure is about the rows, so the batch is split in halves and each half committed
   * on its own, down to the one row that fails: the other callers (other tenants) get their
   * 201, and only that row's caller gets a permanent error (never a 503 an SDK would retry).
   */
  private async commit(batch: Pending[]): Promise<void> {
    const started = performance.now();
    let refused: Set<string>;
    try {
      refused = await this.insert(batch);
    } catch (err) {
      if (isConnectionFailure(err) || postgresErrorCode(err) === '57014') {
        this.stats.failedBatches++;
        ingestRefused.inc({ reason: 'commit_failed' }, batch.length);
        this.outageLog.failure({ err: errorText(err), rows: batch.length });
        const refusal = databaseUnavailable(err);
        for (const p of batch) p.reject(refusal);
        return;
      }
      if (batch.length > 1) {
        this.stats.splitBatches++;
        const half = Math.ceil(batch.length / 2);
        await this.commit(batch.slice(0, half));
        await this.commit(batch.slice(half));
        return;
      }
      const only = batch[0]!;
      this.stats.refusedRows++;
      ingestRefused.inc({ reason: 'row_refused' });
      this.logger?.warn(
        { err: errorText(err), projectId: only.row.projectId, requestId: only.row.id },
        'ingest row refused by the database; the other rows of its batch were committed',
      );
      only.reject(rowRefusal(err));
      return;
    }
    this.outageLog.recovered('ingest batches commit again');
    const rows: LlmRequestRow[] = [];
    for (const p of batch) {
      if (refused.has(p.row.id)) {
        this.stats.overQuota++;
        p.reject(p.counter!.refusal());
      } else {
        rows.push(p.row);
        p.resolve();
      }
    }
    if (refused.size > 0) ingestRefused.inc({ reason: 'quota' }, refused.size);
    this.stats.batches++;
    this.stats.rows += rows.length;
    this.stats.lastCommitMs = performance.now() - started;
    ingestBatchSize.observe(rows.length);
    ingestCommitSeconds.observe(this.stats.lastCommitMs / 1000);
    if (rows.length === 0) return;
    for (const handler of this.handlers) {
      setImmediate(() => {
        Promise.resolve(handler(rows)).catch((err: unknown) =>
          this.logger?.error({ err }, 'post-commit handler failed'),
        );
      });
    }
  }

  /** Commits everything queued so far. */
  async flush(): Promise<void> {
    while (this.queue.length > 0 || this.flushes.size > 0) {
      this.kick();
      await Promise.all(this.flushes);
    }
  }

  /** Stops accepting rows and commits the ones already accepted. */
  async close(): Promise<void> {
    this.closed = true;
    await this.flush();
  }
}
