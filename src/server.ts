/**
 * The process: database (embedded or DATABASE_URL), migrations, HTTP server, and an orderly
 * shutdown on SIGTERM/SIGINT (stop accepting, drain in-flight requests, stop background work,
 * disconnect Prisma, stop the embedded PostgreSQL, exit 0).
 */
import type { Server } from 'node:http';
import type { Redis } from 'ioredis';
import { createApp } from './app.js';
import { cronJobs } from './cron/jobs.js';
import { startScheduler } from './cron/scheduler.js';
import { env } from './config/env.js';
import { expectedMigrations, openDatabase } from './db/database.js';
import { Backoff, ThrottledLog, errorText } from './db/backoff.js';
import { DatabaseHealth } from './db/databaseHealth.js';
import { resilientPool } from './db/resilientPool.js';
import { postgresBus } from './db/notifyBus.js';
import { createPrisma, poolOf, type PrismaClient } from './db/prisma.js';
import { ReadRouter } from './db/readReplica.js';
import { observePool, observeQueue } from './observability/metrics.js';
import { BATCH_WARMUP_SQL } from './services/ingest/ingestBatch.js';
import { IngestWriter, poolExecutor } from './services/ingest/ingestWriter.js';
import type { InjectionGuard } from './domain/guard/injectionGuard.js';
import { GuardModelUnavailableError, loadInjectionGuard } from './services/guard/guardModel.js';
import { assessmentWorkersFor } from './services/ingest/assessmentWorkers.js';
import { warmUpAssessment } from './services/ingest/assessmentWarmup.js';
import {
  BACKEND_HEAP_WARMUP_SQL,
  connectionWarmer,
  nextConnectionWarmer,
  wantsHeapWarmup,
  warmUpRequestQueries,
} from './services/requestWarmup.js';
import { KeyCache } from './services/auth/keyCache.js';
import { Lifecycle } from './services/ops/lifecycle.js';
import { ensureRequestPartitions } from './services/analytics/requestPartitions.js';
import { fillPendingSearch } from './services/ingest/deferredSearch.js';
import { searchFillConnection } from './services/ingest/searchFillConnection.js';
import { repairAtStartup } from './services/analytics/rollupService.js';
import { logger } from './utils/logger.js';
import { closeAll, wire, type Closer } from './wiring.js';

/** Prisma's connections kept open when idle (and opened before listening; the pool caps it at its size). */
const PRISMA_KEEP_OPEN = 2;
/** Closed in reverse order of registration. */
const closers: Closer[] = [];
let httpServer: Server | undefined;
let shuttingDown = false;
const lifecycle = new Lifecycle();

function closeServer(server: Server): Promise<void> {
  return new Promise((resolve) => {
    const timer = setTimeout(() => {
      logger.warn('shutdown timeout reached; closing remaining connections');
      server.closeAllConnections();
    }, env.SHUTDOWN_TIMEOUT_MS);
    timer.unref();
    server.close(() => {
      clearTimeout(timer);
      resolve();
    });
    server.closeIdleConnections();
  });
}

async function shutdown(reason: string, exitCode: number): Promise<void> {
  if (shuttingDown) return;
  shuttingDown = true;
  if (reason === 'SIGTERM' && env.SHUTDOWN_DRAIN_DELAY_MS > 0 && httpServer) {
    // Out of rotation first: /readyz turns 503 and responses ask clients to close their
    // connections, requests keep being served until the balancer has noticed.
    lifecycle.startDraining();
    logger.info({ drainDelayMs: env.SHUTDOWN_DRAIN_DELAY_MS }, 'draining: readiness is 503, still serving');
    await new Promise((r) => setTimeout(r, env.SHUTDOWN_DRAIN_DELAY_MS));
  }
  lifecycle.startDraining();
  logger.info({ reason }, 'shutting down');
  if (!(await closeAll(closers, logger))) exitCode = exitCode || 1;
  logger.info({ exitCode }, 'bye');
  logger.flush();
  process.exit(exitCode);
}

async function main(): Promise<void> {
  process.on('SIGTERM', () => void shutdown('SIGTERM', 0));
  process.on('SIGINT', () => void shutdown('SIGINT', 0));
  process.on('unhandledRejection', (err) => {
    logger.error({ err }, 'unhandled promise rejection');
    void shutdown('unhandledRejection', 1);
  });
  process.on('uncaughtException', (err) => {
    logger.fatal({ err }, 'uncaught exception');
    void shutdown('uncaughtException', 1);
  });

  const started = Date.now();
  // The guard model first: without it the service cannot score, so it does not start at all.
  let guard: InjectionGuard;
  try {
    guard = loadInjectionGuard(env.GUARD_MODEL_PATH).guard;
  } catch (err) {
    if (!(err instanceof GuardModelUnavailableError)) throw err;
    logger.fatal({ file: err.file }, err.message);
    logger.flush();
    process.exit(1);
  }
  const db = await openDatabase((msg) => logger.info(msg), { stopAdopted: true });
  closers.push({ name: 'database server', close: () => db.stop() });
  // One owner decides whether the database is reachable; every pool refuses fast while it is not.
  const health = new DatabaseHealth({ connectionString: db.url, logger });
  closers.push({ name: 'database health', close: () => health.close() });
  const timeouts = {
    connectTimeoutMs: env.DATABASE_CONNECT_TIMEOUT_MS,
    statementTimeoutMs: env.DATABASE_STATEMENT_TIMEOUT_MS,
  };
  // Some connections stay open when idle: a key's or project's lookup after a quiet spell does not wait for a connect.
  const prisma = createPrisma(db.url, env.DATABASE_POOL_SIZE, { health, keepOpen: PRISMA_KEEP_OPEN, ...timeouts });
  closers.push({ name: 'prisma', close: () => prisma.$disconnect() });
  // This month's and the next months' partitions of llm_requests exist before the first request
  // (the cron job keeps them ahead); a database not migrated yet gets them from the cron job.
  await ensureRequestPartitions(prisma).then(
    (created) => created.length && logger.info({ created }, 'llm_requests partitions created'),
    (err: Error) => logger.warn({ err: err.message }, 'llm_requests partitions not checked at start-up'),
  );
  // Rollup sums a killed process still held in memory are re-derived before anything is served.
  await repairAtStartup(prisma).then(
    (r) => r.days.length && logger.info(r, 'rollups re-derived at start-up'),
    (err: Error) => logger.warn({ err: err.message }, 'rollups not re-derived at start-up'),
  );
  // Large rows a stopped process committed without their search vector (deferredSearch.ts) are
  // filled in the background; the minute job does the same on a replica that runs the cron.
  void fillPendingSearch(prisma).then(
    (filled) => filled && logger.info({ filled }, 'search vectors of large rows filled at start-up'),
    (err: Error) => logger.warn({ err: err.message }, 'search vectors of large rows not filled at start-up'),
  );
  let replica: PrismaClient | undefined;
  if (env.DATABASE_READ_URL) {
    replica = createPrisma(env.DATABASE_READ_URL, env.DATABASE_POOL_SIZE, timeouts);
    closers.push({ name: 'read replica', close: () => replica?.$disconnect() });
  }
  const reads = new ReadRouter({
    primary: prisma,
    replica,
    maxLagMs: env.READ_REPLICA_MAX_LAG_MS,
    checkIntervalMs: env.READ_REPLICA_CHECK_MS,
    logger,
  }).start();
  closers.push({ name: 'read replica check', close: () => reads.close() });

  let redis: Redis | undefined;
  if (env.REDIS_URL) {
    // ioredis owns its reconnection; it gets capped, jittered delays and a bounded log.
    const redisBackoff = new Backoff({ initialMs: 100, maxMs: 5_000 });
    const redisLog = new ThrottledLog(logger, 'redis unreachable (falling back to in-process limits)');
    // Loaded only when configured. The client is held at ioredis 5: ioredis 6 declares
    // `class VerbatimString extends String`, and once any class extends String, V8's optimised
    // code runs String.prototype.charCodeAt, slice and indexOf 1.7-2.7x slower in the whole
    // process; scoring a crafted 2 MB call took about 1.5x as long (docs/INGESTION.md,
    // tests/unit/redisClient.test.ts).
    const { Redis } = await import('ioredis');
    redis = new Redis(env.REDIS_URL, {
      maxRetriesPerRequest: 1,
      enableOfflineQueue: false,
      lazyConnect: false,
      retryStrategy: () => redisBackoff.next(),
    });
    redis.on('error', (err) => redisLog.failure({ err: errorText(err) }));
    redis.on('ready', () => {
      redisBackoff.reset();
      redisLog.recovered('redis reachable again');
    });
    closers.push({ name: 'redis', close: () => void redis?.disconnect() });
  }

  const bus = await postgresBus(prisma, db.url, logger);
  health.onChange((up) => {
    if (up) bus.reconnectNow();
  });
  closers.push({ name: 'invalidation listener', close: () => bus.close() });
  const keyCache = new KeyCache(prisma, bus);
  closers.push({ name: 'api key cache', close: () => keyCache.close() });

  const ingestPool = resilientPool({
    connectionString: db.url,
    max: env.INGEST_CONCURRENCY,
    keepOpen: env.INGEST_CONCURRENCY,
    health,
    ...timeouts,
  });
  closers.push({ name: 'ingest pool', close: () => ingestPool.end() });
  const ingestWriter = new IngestWriter(poolExecutor(ingestPool), {
    concurrency: env.INGEST_CONCURRENCY,
    maxBatch: env.INGEST_MAX_BATCH,
    maxWaitMs: env.INGEST_MAX_WAIT_MS,
    maxQueue: env.INGEST_MAX_QUEUE,
    logger,
  });
  // Large rows' search vectors are built after their commit on a connection of their own, at a low
  // CPU priority where PostgreSQL runs on this machine (services/ingest/searchFillConnection.ts).
  const searchFills =
    env.SEARCH_FILL_NICE > 0
      ? searchFillConnection({ connectionString: db.url, nice: env.SEARCH_FILL_NICE, health, logger, ...timeouts })
      : undefined;
  if (searchFills) closers.push({ name: 'search fill connection', close: () => searchFills.close() });
  // The one application context: rollups, search-index upkeep, incident detection and reactions
  // are registered here, once; their closers run after the HTTP server has drained.
  const wiring = wire({ prisma, reads, guard, logger, redis, keyCache, ingestWriter, searchFillDb: searchFills });
  closers.push(...wiring.closers);
  // The threads that score large prompts start now, not on the first large call.
  assessmentWorkersFor(guard).warm();

  if (env.CRON_ENABLED) {
    const scheduler = startScheduler(prisma, cronJobs({ incidentEvents: wiring.ctx.incidentEvents }), logger);
    closers.push({ name: 'cron', close: () => scheduler.stop() });
  }

  observeQueue(() => ingestWriter.depth);
  observePool('prisma', poolOf(prisma));
  if (replica) observePool('replica', poolOf(replica));
  observePool('ingest', ingestPool);

  const app = createApp({
    prisma,
    context: wiring.ctx,
    databaseHealth: health,
    lifecycle,
    expectedMigrations: await expectedMigrations(),
  });
  if (env.ASSESSMENT_WARMUP) {
    // Before listening, so the first request (and a balancer's first health check) finds it done.
    const warmupMs = await warmUpAssessment(guard, logger);
    logger.info({ warmupMs: Math.round(warmupMs) }, 'assessment warmed up');
    if (shuttingDown) return;
  }
  if (env.QUERY_WARMUP) {
    // The request paths' database work, done before the first call needs it: the connections each
    // pool keeps open (its `min`, already within its size) are opened once, the lookups run three
    // times. Prisma's too: the first call used a second connection, and waited for its connect.
    const prismaPool = poolOf(prisma)!;
    const heapWarmup = wantsHeapWarmup(env.DATABASE_HEAP_WARMUP, db.embedded !== undefined);
    const connections = [
      connectionWarmer(ingestPool, ingestPool.options.min ?? 0, BATCH_WARMUP_SQL),
      // on the embedded server, whose allocator keeps a backend's memory: the ingest connection the
      // next batch takes grows its heap for the largest row now, not on the first large call
      ...(heapWarmup ? [nextConnectionWarmer(ingestPool, [BACKEND_HEAP_WARMUP_SQL])] : []),
      connectionWarmer(prismaPool, prismaPool.options.min ?? 0, []),
    ];
    const { quotaService, gateway } = wiring.ctx;
    const warmupMs =
      (await warmUpRequestQueries(connections, logger, 1)) +
      (await warmUpRequestQueries([keyCache, quotaService, gateway.upstreams], logger));
    logger.info({ warmupMs: Math.round(warmupMs) }, 'request queries warmed up');
    if (shuttingDown) return;
  }
  const server = app.listen(env.PORT, env.HOST);
  // While draining, every response closes its connection: a keep-alive client (or a balancer
  // reusing connections) must not send its next request down a socket about to be closed.
  server.prependListener('request', (_req, res) => {
    if (lifecycle.draining) res.shouldKeepAlive = false;
  });
  server.requestTimeout = 30_000;
  server.headersTimeout = 15_000;
  server.keepAliveTimeout = 5_000;
  await new Promise<void>((resolve, reject) => {
    server.once('listening', resolve);
    server.once('error', reject);
  });
  closers.push({ name: 'http server', close: () => closeServer(server) });
  httpServer = server;
  const address = server.address();
  const port = typeof address === 'object' && address ? address.port : env.PORT;
  logger.info(
    { port, host: env.HOST, startupMs: Date.now() - started },
    `LLMGuard API listening on http://localhost:${port}`,
  );
  if (shuttingDown) return;
}

main().catch((err: unknown) => {
  logger.fatal({ err }, 'start-up failed');
  void shutdown('start-up failure', 1);
});
