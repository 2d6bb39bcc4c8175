/**
 * Whether the database can be reached, decided by one owner: a single probe loop (fresh
 * connection + `SELECT 1`, capped exponential backoff with jitter) that starts when a pool sees
 * a connection-level failure or a query stalls, and stops once a probe succeeds.
 *
 * While the database is down, every pool built by `resilientPool` (resilientPool.ts) refuses at once with
 * `DatabaseUnavailableError` (-> 503 DATABASE_UNAVAILABLE with Retry-After) instead of opening
 * one more connection per request that times out; connections still open when it goes down
 * are destroyed, so queries waiting on a frozen server fail now rather than when it thaws.
 * A slow query on a healthy server is told apart by the probe: the probe answers, nothing is cut.
 */
import pg from 'pg';
import type { Logger } from 'pino';
import { Backoff, ThrottledLog, errorText } from './backoff.js';
import { Prisma } from '../generated/prisma/client.js';
import { postgresErrorCode } from './pgErrors.js';

/** SQLSTATE class 08 (connection exception), so Prisma's driver adapter and the error handler see an outage. */
export class DatabaseUnavailableError extends Error {
  readonly code = '08006';
  readonly severity = 'ERROR';
  constructor(message = 'The database is unavailable', options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'DatabaseUnavailableError';
  }
}

const SOCKET_CODES = new Set([
  'ECONNREFUSED',
  'ECONNRESET',
  'ETIMEDOUT',
  'EPIPE',
  'ENOTFOUND',
  'EHOSTUNREACH',
  'ENETUNREACH',
  'EAI_AGAIN',
]);
/** pg's own messages for a connection that failed, dropped or stopped answering. */
const CONNECTION_MESSAGES =
  /Connection terminated|Query read timeout|timeout expired|timeout exceeded when trying to connect|Client has encountered a connection error|Client was closed and is not queryable|Connection refused|write after end|the database system is (starting up|shutting down|in recovery)/i;

/** A failure of the connection rather than of the statement: the database is (maybe) not there. */
export function isConnectionFailure(err: unknown): boolean {
  if (err instanceof DatabaseUnavailableError) return true;
  if (err instanceof AggregateError) return err.errors.some(isConnectionFailure);
  const e = err as { code?: unknown; message?: unknown } | undefined;
  const code = postgresErrorCode(err) ?? (typeof e?.code === 'string' ? e.code : '');
  if (SOCKET_CODES.has(code) || /^08/.test(code) || ['57P01', '57P02', '57P03'].includes(code)) return true;
  return typeof e?.message === 'string' && CONNECTION_MESSAGES.test(e.message);
}

export interface DatabaseHealthOptions {
  connectionString: string;
  logger?: Logger;
  /** Connect + `SELECT 1` must finish within this (default 2 s). */
  probeTimeoutMs?: number;
  /** A pool query outstanding this long triggers a probe (default 2 s). */
  stallMs?: number;
  backoff?: Backoff;
  /** Probe override (tests). */
  probe?: () => Promise<void>;
}

type PoolLike = pg.Pool & { _clients?: pg.PoolClient[] };

export class DatabaseHealth {
  private state: 'up' | 'down' = 'up';
  private probing?: Promise<void>;
  private closed = false;
  private listeners: ((up: boolean) => void)[] = [];
  private pools = new Set<PoolLike>();
  private outstanding = new Map<number, number>();
  private nextQueryId = 0;
  private watchdog?: NodeJS.Timeout;
  private lastStallProbe = 0;
  private backoff: Backoff;
  private log: ThrottledLog;
  readonly probeTimeoutMs: number;
  readonly stallMs: number;
  private logger?: Logger;
  private connectionString: string;
  private probeOverride?: () => Promise<void>;
  /** Probes run, and transitions (for metrics and tests). */
  readonly stats = { probes: 0, downs: 0, ups: 0 };

  constructor(options: DatabaseHealthOptions) {
    this.connectionString = options.connectionString;
    this.logger = options.logger;
    this.probeTimeoutMs = options.probeTimeoutMs ?? 2_000;
    this.stallMs = options.stallMs ?? 2_000;
    this.backoff = options.backoff ?? new Backoff({ initialMs: 250, maxMs: 2_000 });
    this.log = new ThrottledLog(this.logger, 'database unreachable; answering 503 until it is back', {
      intervalMs: 30_000,
    });
    this.probeOverride = options.probe;
  }

  /** False while the database is known to be unreachable (requests fail fast). */
  get available(): boolean {
    return this.state === 'up';
  }

  /** Called with true when the database comes back, false when it goes away. */
  onChange(listener: (up: boolean) => void): void {
    this.listeners.push(listener);
  }

  /** A pool or client saw `err`; a connection-level failure starts the probe loop. */
  report(err: unknown): void {
    if (isConnectionFailure(err)) this.check();
  }

  /** Starts the probe loop unless it is running. */
  check(): Promise<void> {
    if (this.closed) return Promise.resolve();
    this.probing ??= this.loop().finally(() => {
      this.probing = undefined;
    });
    return this.probing;
  }

  /** Marks a pool query as started; the returned function marks it finished. */
  track(): () => void {
    const id = this.nextQueryId++;
    this.outstanding.set(id, Date.now());
    if (!this.watchdog && !this.closed) {
      this.watchdog = setInterval(() => this.checkStalls(), Math.max(100, Math.floor(this.stallMs / 4)));
      this.watchdog.unref();
    }
    return () => {
      this.outstanding.delete(id);
    };
  }

  /** Pools whose connections are destroyed when the database goes down. */
  attach(pool: pg.Pool): void {
    this.pools.add(pool as PoolLike);
  }

  close(): void {
    this.closed = true;
    if (this.watchdog) clearInterval(this.watchdog);
    this.watchdog = undefined;
  }

  private checkStalls(): void {
    if (this.outstanding.size === 0) {
      clearInterval(this.watchdog);
      this.watchdog = undefined;
      return;
    }
    const now = Date.now();
    const oldest = Math.min(...this.outstanding.values());
    if (now - oldest >= this.stallMs && now - this.lastStallProbe >= this.stallMs && !this.probing) {
      this.lastStallProbe = now;
      void this.check();
    }
  }

  private async loop(): Promise<void> {
    for (;;) {
      if (this.closed) return;
      try {
        this.stats.probes++;
        await (this.probeOverride ?? (() => this.probe()))();
        this.markUp();
        return;
      } catch (err) {
        this.markDown(err);
      }
      await new Promise<void>((resolve) => setTimeout(resolve, this.backoff.next()).unref());
    }
  }

  private async probe(): Promise<void> {
    const client = new pg.Client({
      connectionString: this.connectionString,
      connectionTimeoutMillis: this.probeTimeoutMs,
      query_timeout: this.probeTimeoutMs,
      keepAlive: true,
    });
    client.on('error', () => undefined);
    try {
      await client.connect();
      await client.query('SELECT 1');
    } catch (err) {
      // A server that answers with an error of its own (too many clients, ...) is there.
      const serverSent = typeof (err as { severity?: unknown })?.severity === 'string';
      if (!serverSent || isConnectionFailure(err)) throw err;
    } finally {
      // A frozen server never answers the goodbye: do not wait for it.
      const stream = (client as unknown as { connection?: { stream?: { destroy(): void } } }).connection?.stream;
      void client.end().catch(() => undefined);
      stream?.destroy();
    }
  }

  private markDown(err: unknown): void {
    this.log.failure({ err: errorText(err) });
    if (this.state === 'down') return;
    this.state = 'down';
    this.stats.downs++;
    // Connections to a server that does not answer would hold their callers until it thaws.
    for (const pool of this.pools) {
      for (const client of pool._clients ?? []) {
        (client as unknown as { connection?: { stream?: { destroy(): void } } }).connection?.stream?.destroy();
      }
    }
    for (const listener of this.listeners) listener(false);
  }

  private markUp(): void {
    this.backoff.reset();
    if (this.state === 'up') return;
    this.state = 'up';
    this.stats.ups++;
    this.log.recovered('database reachable again');
    for (const listener of this.listeners) listener(true);
  }
}

const UNREACHABLE_KINDS = new Set([
  'DatabaseNotReachable',
  'ConnectionClosed',
  'SocketTimeout',
  'TooManyConnections',
  'DatabaseDoesNotExist',
]);
const UNREACHABLE_PRISMA_CODES = new Set(['P1001', 'P1002', 'P1008', 'P1017', 'P2024']);

/**
 * A database outage (unreachable, connection dropped, pool exhausted, server shutting down) is
 * a 503 with Retry-After — the client should retry — not a 500.
 */
export function isDatabaseUnavailable(err: unknown): boolean {
  if (err instanceof Prisma.PrismaClientInitializationError) return true;
  if (isConnectionFailure(err)) return true;
  const e = err as {
    code?: string;
    meta?: { driverAdapterError?: { cause?: { kind?: string; originalCode?: string } } };
  };
  if (err instanceof Prisma.PrismaClientKnownRequestError && UNREACHABLE_PRISMA_CODES.has(err.code)) return true;
  const cause = e?.meta?.driverAdapterError?.cause;
  if (cause?.kind && UNREACHABLE_KINDS.has(cause.kind)) return true;
  const pgCode = cause?.originalCode ?? e?.code;
  return (
    typeof pgCode === 'string' &&
    (/^08/.test(pgCode) || ['57P01', '57P02', '57P03', 'ECONNREFUSED', 'ECONNRESET'].includes(pgCode))
  );
}
