/**
 * The pg pools the API runs its queries on: time-outs on every connection and statement, and,
 * with a DatabaseHealth (databaseHealth.ts), a fast refusal while the database is down.
 */
import pg from 'pg';
import { type DatabaseHealth, DatabaseUnavailableError, isConnectionFailure } from './databaseHealth.js';

export interface ResilientPoolOptions {
  connectionString: string;
  max: number;
  /** Opening a connection, or waiting for a free one (default 5 s). */
  connectTimeoutMs?: number;
  /** Server-side statement_timeout (default 30 s); the client gives up 5 s later. */
  statementTimeoutMs?: number;
  health?: DatabaseHealth;
  /**
   * Connections kept open when idle (pg's `min`; default 0: an idle connection closes after
   * 10 s). A request that needs a fresh one waits for its connect and for the new backend to
   * load what the first statements need: measured on the ingest path, 19-40 ms instead of 6-10
   * for a call after 12 idle seconds.
   */
  keepOpen?: number;
  /** Passed on to pg.Pool (e.g. a custom Client class). */
  extra?: pg.PoolConfig;
}

type Callback = (...args: unknown[]) => void;

/**
 * A pg pool with connect, statement and idle-in-transaction time-outs, TCP keepalive, and (with
 * `health`) fast refusal while the database is down; its connection-level errors become
 * `DatabaseUnavailableError` and feed the health probe.
 */
export function resilientPool(options: ResilientPoolOptions): pg.Pool {
  const statementTimeout = options.statementTimeoutMs ?? 30_000;
  const pool = new pg.Pool({
    connectionString: options.connectionString,
    max: options.max,
    connectionTimeoutMillis: options.connectTimeoutMs ?? 5_000,
    keepAlive: true,
    statement_timeout: statementTimeout,
    query_timeout: statementTimeout + 5_000,
    idle_in_transaction_session_timeout: 60_000,
    min: Math.min(options.keepOpen ?? 0, options.max),
    ...options.extra,
  });
  const health = options.health;
  // An idle connection dropped by the server (restart, failover) must not crash the process.
  pool.on('error', (err) => health?.report(err));
  if (!health) return pool;
  health.attach(pool);

  const unavailable = (cause?: unknown) =>
    cause instanceof DatabaseUnavailableError ? cause : new DatabaseUnavailableError(undefined, { cause });
  const connect = pool.connect.bind(pool) as (cb?: Callback) => Promise<pg.PoolClient> | undefined;
  (pool as unknown as { connect: (cb?: Callback) => unknown }).connect = (callback?: Callback) => {
    if (!health.available) {
      const err = unavailable();
      if (callback) {
        process.nextTick(() => callback(err, undefined, () => undefined));
        return undefined;
      }
      return Promise.reject(err);
    }
    if (callback) {
      return connect((err: unknown, ...rest: unknown[]) => {
        if (err) health.report(err);
        callback(err && isConnectionFailure(err) ? unavailable(err) : err, ...rest);
      });
    }
    return connect()!.catch((err: unknown) => {
      health.report(err);
      throw isConnectionFailure(err) ? unavailable(err) : err;
    });
  };
  const query = pool.query.bind(pool) as (...args: unknown[]) => Promise<unknown>;
  (pool as unknown as { query: (...args: unknown[]) => unknown }).query = (...args: unknown[]) => {
    if (args.some((a) => typeof a === 'function')) return query(...args);
    const done = health.track();
    return query(...args).then(
      (result) => {
        done();
        return result;
      },
      (err: unknown) => {
        done();
        health.report(err);
        throw isConnectionFailure(err) ? unavailable(err) : err;
      },
    );
  };
  return pool;
}
