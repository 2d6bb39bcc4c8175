/**
 * The request paths' database queries, run before the server listens.
 *
 * Prisma 7 compiles each query shape into a plan the first time it runs (its query compiler is
 * a WebAssembly module on the request thread) and keeps the plan for the life of the client.
 * On a fresh process the first use of a shape cost 8-100 ms of that thread and the second
 * 4-8 ms; from the third on, about 1 ms. The first `/llm/request` or gateway call after a start
 * (every deploy, every rolling restart) runs up to four such shapes on a cold cache: the API
 * key, the project's context, the owner's plan and, through the gateway, the provider. Each
 * part runs its own lookups here (the very functions the request paths call) for ids that
 * match nothing, and caches nothing.
 *
 * The ingest writer's connections are opened here too, each running statements that make its
 * backend load what a batch needs (connectionWarmer): a fresh PostgreSQL backend compiles the
 * PL/pgSQL function and reads the text search dictionaries on first use. With the pool keeping
 * them open (resilientPool's `keepOpen`), a call after a quiet spell does not pay for that again.
 */
import type pg from 'pg';
import { keepsBackendHeap } from '../db/embeddedPostgres.js';
import type { Logger } from 'pino';

/** An id no row has: the ids the application writes are UUIDs and cuids. */
export const NO_SUCH_ID = 'llmguard-warm-up';

/** Something that can run the lookups it makes on a request's behalf, caching nothing. */
export interface QueryWarmable {
  warmUpQueries(): Promise<void>;
}

/** Runs every part's lookups `rounds` times; resolves with the time taken and never rejects. */
export async function warmUpRequestQueries(
  parts: QueryWarmable[],
  logger: Pick<Logger, 'warn'>,
  rounds = 3,
): Promise<number> {
  const started = performance.now();
  try {
    for (let round = 0; round < rounds; round++) {
      for (const part of parts) await part.warmUpQueries();
    }
  } catch (err) {
    // Only the warm-up is lost: the first requests compile what it did not.
    logger.warn({ err }, 'request query warm-up failed');
  }
  return performance.now() - started;
}

/**
 * Opens `count` connections of `pool` at once (so each is a backend of its own) and runs
 * `statements` on each. With `keepOpen` on the pool they stay open for the requests. `count`
 * must not exceed the pool's size: the connections are held together.
 */
export function connectionWarmer(pool: pg.Pool, count: number, statements: readonly string[]): QueryWarmable {
  return {
    async warmUpQueries() {
      const opened = await Promise.allSettled(Array.from({ length: count }, () => pool.connect()));
      const clients = opened.flatMap((o) => (o.status === 'fulfilled' ? [o.value] : []));
      try {
        const failed = opened.find((o): o is PromiseRejectedResult => o.status === 'rejected');
        if (failed) throw failed.reason;
        for (const client of clients) for (const sql of statements) await client.query(sql);
      } finally {
        for (const client of clients) client.release();
      }
    },
  };
}

/**
 * Grows a backend's heap to what storing the largest row the API takes needs at its peak (about
 * 90 MiB: 2 MB of chat messages stored redacted, their transcript and a 1 MB response), by holding
 * twelve 8 MB values at once, and frees it. Under the embedded server's allocator settings
 * (db/embeddedPostgres.ts: allocations under 32 MiB come from the heap, which is kept until 256 MiB
 * of it is free) the backend keeps that memory, so its first large row does not fault it in: a
 * fresh backend's first such row took 316-384 ms (23,000 page faults) against 64-87 ms for its
 * third; after this statement (345-354 ms, once, at start-up) 104-109 ms with 150 faults.
 */
export const BACKEND_HEAP_WARMUP_SQL =
  "DO $$ DECLARE held text[] := '{}'; BEGIN FOR i IN 1..12 LOOP held[i] := repeat('x', 8388000); END LOOP; END $$";

/**
 * Whether to run BACKEND_HEAP_WARMUP_SQL (DATABASE_HEAP_WARMUP): `auto` on the embedded server
 * when its backends keep their heap (no GLIBC_TUNABLES of the operator's in the way); on another
 * server only when asked, as its allocator settings are its operator's.
 */
export function wantsHeapWarmup(setting: 'auto' | 'true' | 'false', embedded: boolean): boolean {
  return setting === 'true' || (setting === 'auto' && embedded && keepsBackendHeap());
}

/**
 * Runs `statements` on the connection `pool` hands out next: node-postgres's pool hands out the
 * connection released last, so after a warm-up it is the one the first request's statement runs
 * on (and, one call at a time, the next ones).
 */
export function nextConnectionWarmer(pool: pg.Pool, statements: readonly string[]): QueryWarmable {
  return {
    async warmUpQueries() {
      const client = await pool.connect();
      try {
        for (const sql of statements) await client.query(sql);
      } finally {
        client.release();
      }
    },
  };
}
