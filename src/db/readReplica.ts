/**
 * Heavy dashboard reads (log search, metrics, usage) on a streaming replica (DATABASE_READ_URL),
 * everything else on the primary. A background check compares the primary's WAL position with
 * what the replica has replayed: a replica that is down, or more than `maxLagMs` behind, is left
 * alone and its reads go to the primary (a warning once per state change, a metric per read);
 * a read that fails on the replica is run again on the primary. The user never sees the replica.
 */
import type { Logger } from 'pino';
import client from 'prom-client';
import { registry } from '../observability/metrics.js';
import { AppError } from '../utils/AppError.js';
import type { PrismaClient } from './prisma.js';

export type ReplicaState = 'ok' | 'lagging' | 'down' | 'unknown';

const replicaReads = new client.Counter({
  name: 'llmguard_read_replica_reads_total',
  help: 'Dashboard reads routed to the read replica or to the primary',
  labelNames: ['target'] as const,
  registers: [registry],
});
const replicaFallbacks = new client.Counter({
  name: 'llmguard_read_replica_fallbacks_total',
  help: 'Dashboard reads sent to the primary although a read replica is configured, by reason',
  labelNames: ['reason'] as const,
  registers: [registry],
});
const replicaLag = new client.Gauge({
  name: 'llmguard_read_replica_lag_seconds',
  help: 'How far the read replica is behind the primary (estimated from WAL positions), -1 when down',
  registers: [registry],
});

/** "16/B374D848" -> a comparable number. */
export function parseLsn(lsn: string): bigint {
  const [hi, lo] = lsn.split('/');
  return (BigInt(`0x${hi}`) << 32n) + BigInt(`0x${lo}`);
}

export interface ReadRouterOptions {
  primary: PrismaClient;
  /** unset: every read goes to the primary */
  replica?: PrismaClient;
  /** a replica further behind than this is not read from */
  maxLagMs: number;
  /** how often the replica's position is checked */
  checkIntervalMs: number;
  logger?: Logger;
  /** each check gives up after this long (replica counted as down) */
  checkTimeoutMs?: number;
}

function withTimeout<T>(p: Promise<T>, ms: number): Promise<T> {
  return new Promise<T>((resolve, reject) => {
    const t = setTimeout(() => reject(new Error(`timed out after ${ms} ms`)), ms);
    p.then(
      (v) => {
        clearTimeout(t);
        resolve(v);
      },
      (e: unknown) => {
        clearTimeout(t);
        reject(e instanceof Error ? e : new Error(String(e)));
      },
    );
  });
}

export class ReadRouter {
  readonly primary: PrismaClient;
  readonly replica: PrismaClient | undefined;
  #state: ReplicaState = 'unknown';
  #lagMs = 0;
  #timer: NodeJS.Timeout | undefined;
  #checking: Promise<ReplicaState> | undefined;
  /** the primary's WAL position over time, oldest first (for the lag estimate) */
  #samples: { at: number; lsn: bigint }[] = [];
  readonly #opts: ReadRouterOptions;

  constructor(opts: ReadRouterOptions) {
    this.#opts = opts;
    this.primary = opts.primary;
    this.replica = opts.replica;
  }

  get state(): ReplicaState {
    return this.replica ? this.#state : 'unknown';
  }

  get lagMs(): number {
    return this.#lagMs;
  }

  /** Checks now and then every checkIntervalMs (the timer does not hold the process open). */
  start(): this {
    if (!this.replica || this.#timer) return this;
    void this.check();
    this.#timer = setInterval(() => void this.check(), this.#opts.checkIntervalMs);
    this.#timer.unref();
    return this;
  }

  close(): void {
    if (this.#timer) clearInterval(this.#timer);
    this.#timer = undefined;
  }

  /** One check of the replica's position; concurrent callers share it. */
  check(): Promise<ReplicaState> {
    this.#checking ??= this.#check().finally(() => (this.#checking = undefined));
    return this.#checking;
  }

  async #check(): Promise<ReplicaState> {
    const replica = this.replica;
    if (!replica) return 'unknown';
    const timeout = this.#opts.checkTimeoutMs ?? Math.max(1000, this.#opts.checkIntervalMs);
    let primaryLsn: bigint;
    try {
      const [p] = await withTimeout(
        this.primary.$queryRawUnsafe<{ lsn: string }[]>('SELECT pg_current_wal_lsn()::text AS lsn'),
        timeout,
      );
      primaryLsn = parseLsn(p!.lsn);
    } catch (err) {
      // Without the primary there is nothing to compare with; the reads fail on their own anyway.
      this.#opts.logger?.debug({ err: (err as Error).message }, 'read replica check: primary unreachable');
      return this.#state;
    }
    const now = Date.now();
    this.#samples.push({ at: now, lsn: primaryLsn });
    const keepFrom = now - Math.max(60_000, this.#opts.maxLagMs * 4);
    while (this.#samples.length > 1 && this.#samples[0]!.at < keepFrom) this.#samples.shift();
    try {
      const [r] = await withTimeout(
        replica.$queryRawUnsafe<{ recovery: boolean; lsn: string | null }[]>(
          'SELECT pg_is_in_recovery() AS recovery, pg_last_wal_replay_lsn()::text AS lsn',
        ),
        timeout,
      );
      if (!r?.recovery || !r.lsn) {
        // Promoted or not a standby: its data no longer follows the primary.
        this.#set('down', -1, 'not a standby');
        return this.#state;
      }
      const replayed = parseLsn(r.lsn);
      // Behind since the primary first passed a position the replica has not replayed yet.
      const firstAhead = this.#samples.find((s) => s.lsn > replayed);
      const lagMs = firstAhead ? Date.now() - firstAhead.at : 0;
      this.#set(lagMs > this.#opts.maxLagMs ? 'lagging' : 'ok', lagMs);
    } catch (err) {
      this.#set('down', -1, (err as Error).message);
    }
    return this.#state;
  }

  #set(state: ReplicaState, lagMs: number, why?: string): void {
    const before = this.#state;
    this.#state = state;
    this.#lagMs = lagMs;
    replicaLag.set(lagMs < 0 ? -1 : lagMs / 1000);
    if (state === before) return;
    const log = this.#opts.logger;
    if (state === 'ok') log?.info({ lagMs }, 'read replica in use');
    else
      log?.warn(
        { state, lagMs, maxLagMs: this.#opts.maxLagMs, reason: why },
        `read replica ${state}: dashboard reads go to the primary`,
      );
  }

  /**
   * Runs a read that may be a little stale (at most maxLagMs) on the replica when it is usable,
   * else on the primary. A database error on the replica is retried on the primary; an AppError
   * (not found, forbidden) is the answer and is thrown as is.
   */
  async read<T>(fn: (db: PrismaClient) => Promise<T>): Promise<T> {
    const replica = this.replica;
    if (!replica) return fn(this.primary);
    const state = this.state;
    if (state !== 'ok') {
      replicaFallbacks.inc({ reason: state });
      replicaReads.inc({ target: 'primary' });
      return fn(this.primary);
    }
    try {
      const result = await fn(replica);
      replicaReads.inc({ target: 'replica' });
      return result;
    } catch (err) {
      if (err instanceof AppError) throw err;
      this.#set('down', -1, (err as Error).message);
      replicaFallbacks.inc({ reason: 'error' });
      replicaReads.inc({ target: 'primary' });
      return fn(this.primary);
    }
  }
}

/** Reads (fallback counters and lag) as the /metrics endpoint reports them, for tests and tools. */
export async function replicaMetrics(): Promise<{
  replica: number;
  primary: number;
  fallbacks: Record<string, number>;
}> {
  const reads = (await replicaReads.get()).values;
  const falls = (await replicaFallbacks.get()).values;
  return {
    replica: reads.find((v) => v.labels.target === 'replica')?.value ?? 0,
    primary: reads.find((v) => v.labels.target === 'primary')?.value ?? 0,
    fallbacks: Object.fromEntries(falls.map((v) => [String(v.labels.reason), v.value])),
  };
}
