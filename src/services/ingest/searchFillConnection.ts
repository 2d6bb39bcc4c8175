/**
 * The connection the post-commit search fills of large rows run on (deferredSearch.ts), at a low
 * CPU priority when PostgreSQL runs on this machine (SEARCH_FILL_NICE, default 19).
 *
 * A fill is 30-105 ms of one backend's CPU (the English and German stems of up to 2 x 200,000
 * characters). It waits for a quiet moment, at most 2 s; under a stream of large calls it then
 * ran beside them, and on Linux a backend is a scheduling group of its own (db/backendPriority.ts),
 * so it took as much CPU as the whole API process: back to back, the fills of earlier rows made
 * later large calls slower. At nice 19 (the process and its group) the fill takes what the API
 * process and the other backends leave.
 *
 * One connection of its own, so that the priority stays with it; each new connection (after an
 * outage) gets it again. A database elsewhere keeps the normal priority (db/backendPriority.ts
 * finds no backend of this connection here, and says so once in the log).
 */
import type { Socket } from 'node:net';
import type { Logger } from 'pino';
import type pg from 'pg';
import { lowerBackendPriority, type PriorityOutcome } from '../../db/backendPriority.js';
import { errorText } from '../../db/backoff.js';
import type { DatabaseHealth } from '../../db/databaseHealth.js';
import { resilientPool } from '../../db/resilientPool.js';
import type { SearchFillDb } from './deferredSearch.js';

export interface SearchFillConnectionOptions {
  connectionString: string;
  /** The nice value (1-19) of the fills' backend. */
  nice: number;
  health?: DatabaseHealth;
  connectTimeoutMs?: number;
  statementTimeoutMs?: number;
  logger?: Logger;
}

export interface SearchFillConnection extends SearchFillDb {
  /** What the last connection's priority came to (undefined until one has opened). */
  readonly priority: Promise<PriorityOutcome> | undefined;
  close(): Promise<void>;
}

/** The local TCP port of a client's connection (undefined over a Unix socket). */
function localPortOf(client: pg.PoolClient): number | undefined {
  const socket = client.connection.stream as Partial<Socket>;
  return typeof socket.localPort === 'number' ? socket.localPort : undefined;
}

export function searchFillConnection(options: SearchFillConnectionOptions): SearchFillConnection {
  const pool: pg.Pool = resilientPool({
    connectionString: options.connectionString,
    max: 1,
    keepOpen: 1,
    health: options.health,
    connectTimeoutMs: options.connectTimeoutMs,
    statementTimeoutMs: options.statementTimeoutMs,
  });
  let priority: Promise<PriorityOutcome> | undefined;
  let lastReason: string | undefined;
  const prioritized = new WeakSet<pg.PoolClient>();

  /** Lowers a new connection's priority (once), before its first statement. */
  async function lower(client: pg.PoolClient): Promise<PriorityOutcome> {
    const outcome = await client
      .query<{ pid: number }>('SELECT pg_backend_pid() AS pid')
      .then(({ rows }) => lowerBackendPriority(rows[0]!.pid, localPortOf(client), options.nice))
      .catch((err: unknown): PriorityOutcome => ({ lowered: false, reason: errorText(err) }));
    if (outcome.lowered) {
      lastReason = undefined;
      options.logger?.debug({ nice: options.nice, autogroup: outcome.autogroup }, 'search fills at a low priority');
    } else if (outcome.reason !== lastReason) {
      // once per reason: a connection reopened after an outage fails the same way
      lastReason = outcome.reason;
      options.logger?.info({ reason: outcome.reason }, 'search fills run at the normal priority');
    }
    return outcome;
  }

  /** Runs one statement on the connection, as pool.query does (a connection that failed one is closed). */
  async function query(text: string, values: unknown[]): Promise<pg.QueryResult> {
    const client = await pool.connect();
    try {
      if (!prioritized.has(client)) {
        prioritized.add(client);
        priority = lower(client);
        await priority;
      }
      const result = await client.query(text, values);
      client.release();
      return result;
    } catch (err) {
      client.release(err instanceof Error ? err : true);
      throw err;
    }
  }

  return {
    get priority() {
      return priority;
    },
    async $queryRawUnsafe<T = unknown>(text: string, ...values: unknown[]): Promise<T> {
      return (await query(text, values)).rows as T;
    },
    async $executeRawUnsafe(text: string, ...values: unknown[]): Promise<number> {
      return (await query(text, values)).rowCount ?? 0;
    },
    close: () => pool.end(),
  };
}
