/**
 * Prometheus metrics (prom-client) on one registry for the process: HTTP request durations by
 * route and status, ingestion batches (size, commit latency, queue depth), incidents opened,
 * cron runs and durations, database pool use, and the default process metrics.
 */
import type { RequestHandler } from 'express';
import type pg from 'pg';
import client from 'prom-client';

export const registry = new client.Registry();
client.collectDefaultMetrics({ register: registry });

export const httpDuration = new client.Histogram({
  name: 'llmguard_http_request_duration_seconds',
  help: 'HTTP request duration by method, route and status',
  labelNames: ['method', 'route', 'status'] as const,
  buckets: [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10],
  registers: [registry],
});

export const ingestBatchSize = new client.Histogram({
  name: 'llmguard_ingest_batch_rows',
  help: 'Rows per committed ingestion batch',
  buckets: [1, 2, 5, 10, 20, 50, 100, 200, 500, 1000],
  registers: [registry],
});

export const ingestCommitSeconds = new client.Histogram({
  name: 'llmguard_ingest_commit_seconds',
  help: 'Time to commit one ingestion batch',
  buckets: [0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 1],
  registers: [registry],
});

export const searchIndexCleanups = new client.Histogram({
  name: 'llmguard_search_index_cleanup_seconds',
  help: "Time to merge the log search index's pending list (services/ingest/searchIndexUpkeep)",
  buckets: [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 1],
  registers: [registry],
});

/** Large rows whose search vector was built after their commit (services/ingest/deferredSearch). */
export const deferredSearchFills = new client.Counter({
  name: 'llmguard_search_deferred_fills_total',
  help: 'Search vectors of large rows built after the row was committed',
  registers: [registry],
});

/** Calls a remediation refused (disabled endpoint, rate-limited end user), stored with outcome refused. */
export const remediationRefusals = new client.Counter({
  name: 'llmguard_remediation_refusals_total',
  help: 'Reported calls refused by a remediation, by reason',
  labelNames: ['reason'] as const,
  registers: [registry],
});

export const ingestRefused = new client.Counter({
  name: 'llmguard_ingest_refused_total',
  help: 'Requests refused by the ingestion writer: 503 (queue_full, commit_failed) or 429 (quota)',
  labelNames: ['reason'] as const,
  registers: [registry],
});

export const incidentsOpened = new client.Counter({
  name: 'llmguard_incidents_opened_total',
  help: 'Incidents opened, by type',
  labelNames: ['type'] as const,
  registers: [registry],
});

export const cronRuns = new client.Counter({
  name: 'llmguard_cron_runs_total',
  help: 'Cron job runs by job and outcome (ran, skipped, failed)',
  labelNames: ['job', 'outcome'] as const,
  registers: [registry],
});

export const cronDuration = new client.Histogram({
  name: 'llmguard_cron_duration_seconds',
  help: 'Cron job run duration',
  labelNames: ['job'] as const,
  buckets: [0.01, 0.05, 0.1, 0.5, 1, 5, 15, 60, 300],
  registers: [registry],
});

const queueSources = new Set<() => number>();
new client.Gauge({
  name: 'llmguard_ingest_queue_depth',
  help: 'Rows accepted by the ingestion writer and not yet committed',
  registers: [registry],
  collect() {
    let depth = 0;
    for (const source of queueSources) depth += source();
    this.set(depth);
  },
});

const pools = new Map<string, pg.Pool>();
new client.Gauge({
  name: 'llmguard_db_pool_connections',
  help: 'Database pool connections by pool and state (total, idle, waiting clients)',
  labelNames: ['pool', 'state'] as const,
  registers: [registry],
  collect() {
    for (const [name, pool] of pools) {
      this.set({ pool: name, state: 'total' }, pool.totalCount);
      this.set({ pool: name, state: 'idle' }, pool.idleCount);
      this.set({ pool: name, state: 'waiting' }, pool.waitingCount);
    }
  },
});

/** Reports a writer's queue depth in llmguard_ingest_queue_depth. */
export function observeQueue(depth: () => number): void {
  queueSources.add(depth);
}

export function observePool(name: string, pool: pg.Pool | undefined): void {
  if (pool) pools.set(name, pool);
}

/** One labelled child per (method, route, status): prom-client hashes labels on every unlabelled call. */
const httpChildren = new Map<string, { observe(seconds: number): void }>();

/** Records one finished request under its route pattern (never the raw URL). */
export function observeHttp(method: string, route: string, status: number, startedMs: number): void {
  const key = `${method} ${route} ${status}`;
  let child = httpChildren.get(key);
  if (!child) {
    child = httpDuration.labels({ method, route, status: String(status) });
    httpChildren.set(key, child);
  }
  child.observe((performance.now() - startedMs) / 1000);
}

/** Times every request; the route label is the matched route pattern, never the raw URL. */
export const httpMetrics: RequestHandler = (req, res, next) => {
  const started = performance.now();
  res.once('finish', () => {
    const route = req.route?.path ? `${req.baseUrl}${String(req.route.path)}` : 'unmatched';
    observeHttp(req.method, route, res.statusCode, started);
  });
  next();
};
