import cors from 'cors';
import express, { type Express } from 'express';
import helmet from 'helmet';
import { env } from './config/env.js';
import { API_PREFIX, API_VERSION } from './config/constants.js';
import type { DatabaseHealth } from './db/databaseHealth.js';
import type { PrismaClient } from './db/prisma.js';
import { apiVersion } from './middleware/apiVersion.js';
import { httpMetrics } from './observability/metrics.js';
import { prometheusRouter } from './routes/prometheusRoutes.js';
import { errorHandler, notFound } from './middleware/errorHandler.js';
import { httpLogger } from './middleware/httpLogger.js';
import { requestId } from './middleware/requestId.js';
import { requireJson } from './middleware/requireJson.js';
import { storableInput } from './middleware/storableInput.js';
import { docsRouter } from './docs/docsRoutes.js';
import { apiRouter } from './routes/index.js';
import { headersSetBy, ingestFastPath, installBeforeRouter } from './routes/ingestFastPath.js';
import { healthRouter } from './routes/healthRoutes.js';
import { logger as defaultLogger } from './utils/logger.js';
import type { Logger } from 'pino';
import type { Redis } from 'ioredis';
import { createSecurity, type Security } from './services/auth/security.js';
import { KeyCache } from './services/auth/keyCache.js';
import { IncidentEvents } from './services/incidents/incidentEvents.js';
import { registerIncidentDetection } from './services/incidents/incidentDetector.js';
import { registerIncidentReactions } from './services/incidents/incidentReactions.js';
import type { AlertOptions } from './services/incidents/alertService.js';
import { defaultOpenAIClient } from './integrations/openaiClient.js';
import type { OpenAI } from 'openai';
import { IngestWriter } from './services/ingest/ingestWriter.js';
import type { QuotaGate } from './services/ingest/ingestService.js';
import { MetricsCache } from './services/analytics/metricsCache.js';
import { registerRollups } from './services/analytics/rollupService.js';
import { registerSearchIndexUpkeep } from './services/ingest/searchIndexUpkeep.js';
import { QuotaService } from './services/billing/quotaService.js';
import { billingConfigFromEnv, type BillingConfig } from './integrations/stripeClient.js';
import { localBus } from './db/notifyBus.js';
import type { AppContext } from './controllers/context.js';
import { GATEWAY_PREFIX, gatewayErrorHandler, gatewayRoutes } from './routes/gatewayRoutes.js';
import { providerUseAuditor } from './services/gateway/providerStore.js';
import { type GatewayOptions, UpstreamRegistry } from './services/gateway/upstreams.js';
import type { Lifecycle } from './services/ops/lifecycle.js';
import { ReadRouter } from './db/readReplica.js';
import type { InjectionGuard } from './domain/guard/injectionGuard.js';
import { loadInjectionGuard } from './services/guard/guardModel.js';

export interface AppDeps {
  prisma: PrismaClient;
  /** Router of heavy dashboard reads to a read replica (DATABASE_READ_URL); default: all on `prisma`. */
  reads?: ReadRouter;
  logger?: Logger;
  /** Whether the database is reachable (the server's probe); /readyz answers 503 at once while it is down. */
  databaseHealth?: DatabaseHealth;
  /** Names of migrations that must be applied for /readyz to pass. */
  expectedMigrations?: string[];
  /** Rate limiters and IP blocks; defaults to in-memory ones built from the environment. */
  security?: Security;
  redis?: Redis;
  /** Cache of verified API keys and project contexts; defaults to one on a process-local bus. */
  keyCache?: KeyCache;
  /** Group-commit writer for /llm/request; defaults to one with the default batching. */
  ingestWriter?: IngestWriter;
  /** Plan quota check for /llm/request; defaults to the plan limits (QuotaService). */
  quota?: QuotaGate;
  /** Stripe client, URLs and plan limits; defaults to one built from the environment. */
  billing?: BillingConfig;
  /** Incident lifecycle events (RCA and alerts subscribe); defaults to a fresh emitter. */
  incidentEvents?: IncidentEvents;
  /** OpenAI client for incident RCAs; defaults to one from OPENAI_* (none without a key); null = fallback RCAs. */
  openai?: OpenAI | null;
  /** Retry policy of incident alert deliveries (tests shrink the delays). */
  alertOptions?: Partial<AlertOptions>;
  /** Bearer token guarding GET /metrics (defaults to METRICS_TOKEN; unset = open). */
  metricsToken?: string;
  /** Browser origins allowed by CORS (defaults to CORS_ORIGINS). */
  corsOrigins?: string[];
  /** Express "trust proxy" (defaults to TRUST_PROXY). */
  trustProxy?: number | boolean;
  /** POST /llm/request on its direct path (defaults to INGEST_FAST_PATH); false = through Express. */
  ingestFastPath?: boolean;
  /** Gateway settings (default: GATEWAY_* variables); tests allow private upstreams and shrink timeouts. */
  gateway?: Partial<GatewayOptions>;
  /** Set to draining on SIGTERM by server.ts: /readyz then answers 503 (see SHUTDOWN_DRAIN_DELAY_MS). */
  lifecycle?: Lifecycle;
  /** The injection classifier; defaults to the model file (GUARD_MODEL_PATH or models/guard-model.bin). */
  guard?: InjectionGuard;
  /** Extra routes mounted before the 404 handler (tests use it for probe routes). */
  mount?: (app: Express) => void;
}

/** Builds the Express application (no listening, no database start-up). */
export function createApp(deps: AppDeps): Express {
  const app = express();
  const logger = deps.logger ?? defaultLogger;
  app.disable('x-powered-by');
  // JSON API: no client revalidates with If-None-Match, so no SHA-1 of every response body.
  app.set('etag', false);
  app.set('trust proxy', deps.trustProxy ?? env.TRUST_PROXY);
  app.locals.deps = deps;

  app.use(requestId);
  app.use(httpMetrics);
  app.use(httpLogger(app, logger));
  const securityHeaders = helmet();
  app.use(securityHeaders);
  app.use(
    cors({
      origin: (origin, cb) => cb(null, origin !== undefined && (deps.corsOrigins ?? env.CORS_ORIGINS).includes(origin)),
      exposedHeaders: [
        'X-Request-Id',
        'X-API-Version',
        'Retry-After',
        'RateLimit-Limit',
        'RateLimit-Remaining',
        'RateLimit-Reset',
      ],
    }),
  );
  app.use(apiVersion);
  app.use(requireJson);
  app.use(
    express.json({
      limit: env.BODY_LIMIT,
      // Webhook signatures are computed over the exact bytes received.
      verify: (req, _res, buf) => {
        (req as unknown as { rawBody?: Buffer }).rawBody = buf;
      },
    }),
  );
  // NUL, unpaired surrogates and absurd nesting anywhere in path, query or body: 400 here, once.
  app.use(storableInput);

  const billing = deps.billing ?? billingConfigFromEnv();
  const quotaService = new QuotaService(deps.prisma, billing);
  const ingestWriter = deps.ingestWriter ?? new IngestWriter(deps.prisma, { logger });
  // Idempotent: a writer the server already registered keeps its one rollup handler.
  const rollups = registerRollups(ingestWriter, deps.prisma, logger);
  registerSearchIndexUpkeep(ingestWriter, deps.prisma, { cleanupChars: env.SEARCH_INDEX_CLEANUP_CHARS, logger });
  const metricsCache = new MetricsCache();
  rollups.onApplied((projectIds) => metricsCache.invalidate(projectIds));
  const incidentEvents = deps.incidentEvents ?? new IncidentEvents(logger);
  // RCA on open, alerts on every change; a no-op for an emitter the server already registered.
  const openai = deps.openai === undefined ? defaultOpenAIClient() : deps.openai;
  registerIncidentReactions(incidentEvents, { prisma: deps.prisma, logger, openai, alert: deps.alertOptions });
  const keyCache = deps.keyCache ?? new KeyCache(deps.prisma, localBus(), { lastUsedFlushMs: 0 });
  const gatewayOptions: GatewayOptions = {
    allowPrivateUpstreams: env.GATEWAY_ALLOW_PRIVATE_UPSTREAMS,
    timeoutMs: env.GATEWAY_TIMEOUT_MS,
    maxRetries: env.GATEWAY_MAX_RETRIES,
    ...deps.gateway,
  };
  const ctx: AppContext = {
    prisma: deps.prisma,
    reads:
      deps.reads ??
      new ReadRouter({
        primary: deps.prisma,
        maxLagMs: env.READ_REPLICA_MAX_LAG_MS,
        checkIntervalMs: env.READ_REPLICA_CHECK_MS,
      }),
    logger,
    security: deps.security ?? createSecurity({}, deps.redis),
    keyCache,
    incidentEvents,
    openai,
    ingestWriter,
    rollups,
    metricsCache,
    quota: deps.quota ?? quotaService,
    billing,
    quotaService,
    gateway: {
      options: gatewayOptions,
      upstreams: new UpstreamRegistry(deps.prisma, keyCache, gatewayOptions),
      auditUse: providerUseAuditor(deps.prisma),
    },
    guard: deps.guard ?? loadInjectionGuard(env.GUARD_MODEL_PATH).guard,
  };
  // Incident rules run after every committed batch (once per writer).
  registerIncidentDetection(ingestWriter, {
    prisma: deps.prisma,
    keyCache: ctx.keyCache,
    events: incidentEvents,
    logger,
    rollups,
  });
  if (deps.ingestFastPath ?? env.INGEST_FAST_PATH) {
    const fast = ingestFastPath(app, ctx, {
      bodyLimit: env.BODY_LIMIT,
      staticHeaders: [...headersSetBy(securityHeaders), ['X-API-Version', API_VERSION]],
      logger,
    });
    installBeforeRouter(app, fast);
    app.locals.ingestFastPath = fast.stats;
  }
  // The API first: its prefix is matched once, so /llm/request walks the fewest layers.
  app.use(API_PREFIX, apiRouter(ctx));
  // The OpenAI-compatible gateway beside the API: apps change their base URL and nothing else.
  app.use(GATEWAY_PREFIX, gatewayRoutes(ctx));
  app.use(healthRouter(deps));
  app.use(prometheusRouter(deps.metricsToken));
  app.use(docsRouter(app));
  deps.mount?.(app);

  app.use(notFound);
  // Failures under /v1 that happen before its router (body parsing) keep OpenAI's error shape.
  app.use(GATEWAY_PREFIX, gatewayErrorHandler);
  app.use(errorHandler);
  return app;
}
