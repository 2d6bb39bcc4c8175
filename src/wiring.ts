/**
 * The application context, built once. Both flows hang off it:
 * - ingestion: the group-commit writer and what follows each committed batch (rollups, the
 *   search-index upkeep, incident detection);
 * - the incident loop: the incident events and their reactions (RCA, alerts), the OpenAI
 *   client the RCA uses, and the key cache that carries remediations to the next call.
 * server.ts builds it with the process's own pools and invalidation bus; createApp() builds one
 * with in-process defaults when a test passes none. What must be closed comes back as closers,
 * to be closed in reverse order of registration.
 */
import type { Redis } from 'ioredis';
import type { OpenAI } from 'openai';
import type { Logger } from 'pino';
import { env } from './config/env.js';
import type { AppContext } from './controllers/context.js';
import { localBus } from './db/notifyBus.js';
import type { PrismaClient } from './db/prisma.js';
import { ReadRouter } from './db/readReplica.js';
import type { InjectionGuard } from './domain/guard/injectionGuard.js';
import { loadInjectionGuard } from './services/guard/guardModel.js';
import {
  closeAssessmentWorkers,
  configureAssessmentWorkers,
  defaultAssessmentThreads,
} from './services/ingest/assessmentWorkers.js';
import { defaultOpenAIClient } from './integrations/openaiClient.js';
import { billingConfigFromEnv, type BillingConfig } from './integrations/stripeClient.js';
import { MetricsCache } from './services/analytics/metricsCache.js';
import { registerRollups } from './services/analytics/rollupService.js';
import { KeyCache } from './services/auth/keyCache.js';
import { FeatureFlags } from './services/flags/featureFlags.js';
import { createSecurity, type Security } from './services/auth/security.js';
import { QuotaService } from './services/billing/quotaService.js';
import type { AlertOptions } from './services/incidents/alertService.js';
import { registerIncidentDetection } from './services/incidents/incidentDetector.js';
import { IncidentEvents } from './services/incidents/incidentEvents.js';
import { registerIncidentReactions } from './services/incidents/incidentReactions.js';
import type { QuotaGate } from './services/ingest/admission.js';
import { IngestWriter } from './services/ingest/ingestWriter.js';
import { registerSearchIndexUpkeep } from './services/ingest/searchIndexUpkeep.js';
import { registerDeferredSearch, type SearchFillDb } from './services/ingest/deferredSearch.js';
import { providerUseAuditor } from './services/gateway/providerUse.js';
import { type GatewayOptions, UpstreamRegistry } from './services/gateway/upstreams.js';
import { logger as defaultLogger } from './utils/logger.js';

export interface Closer {
  name: string;
  close: () => Promise<void> | void;
}

/** What the context is built from; everything but `prisma` has a default. */
export interface WiringDeps {
  prisma: PrismaClient;
  /** Router of heavy dashboard reads to a read replica (DATABASE_READ_URL); default: all on `prisma`. */
  reads?: ReadRouter;
  /** The learned injection model; defaults to the one in GUARD_MODEL_PATH (loaded once per wiring). */
  guard?: InjectionGuard;
  logger?: Logger;
  /** Rate limiters and IP blocks; defaults to in-memory ones built from the environment. */
  security?: Security;
  redis?: Redis;
  /** Cache of verified API keys and project contexts; defaults to one on a process-local bus. */
  keyCache?: KeyCache;
  /** Feature flags; defaults to ones invalidated on the key cache's bus. */
  flags?: FeatureFlags;
  /** Group-commit writer for /llm/request; defaults to one with the default batching. */
  ingestWriter?: IngestWriter;
  /** Where large rows' search vectors are filled after their commit; defaults to `prisma` (server.ts: a low-priority connection). */
  searchFillDb?: SearchFillDb;
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
  /** Gateway settings (default: GATEWAY_* variables); tests allow private upstreams and shrink timeouts. */
  gateway?: Partial<GatewayOptions>;
}

export interface Wiring {
  ctx: AppContext;
  /** In order of registration: close them in reverse (see closeAll). */
  closers: Closer[];
}

/** Incident reactions in flight get this long to finish on shutdown. */
const REACTIONS_DRAIN_MS = 10_000;
/** Buffered rollup updates get this long to be applied on shutdown. */
const ROLLUPS_DRAIN_MS = 5_000;

/** Builds the context controllers and routers run on, registering every handler exactly once. */
export function wire(deps: WiringDeps): Wiring {
  const { prisma } = deps;
  const logger = deps.logger ?? defaultLogger;
  const closers: Closer[] = [];

  // The incident loop: RCA on open, alerts on every change. RCAs and alert deliveries in flight
  // finish before Prisma disconnects (bounded: a slow receiver must not hold the shutdown).
  const incidentEvents = deps.incidentEvents ?? new IncidentEvents(logger);
  const openai = deps.openai === undefined ? defaultOpenAIClient() : deps.openai;
  registerIncidentReactions(incidentEvents, { prisma, logger, openai, alert: deps.alertOptions });
  closers.push({
    name: 'incident reactions',
    close: () =>
      Promise.race([incidentEvents.idle(), new Promise<void>((r) => setTimeout(r, REACTIONS_DRAIN_MS).unref())]),
  });

  const keyCache = deps.keyCache ?? new KeyCache(prisma, localBus(), { lastUsedFlushMs: 0 });
  const flags = deps.flags ?? new FeatureFlags(prisma, keyCache.bus, { logger });
  if (!deps.flags) closers.push({ name: 'feature flags', close: () => flags.close() });
  const billing = deps.billing ?? billingConfigFromEnv();
  const quotaService = new QuotaService(prisma, billing);

  // Ingestion: the writer and what follows every committed batch.
  const ingestWriter = deps.ingestWriter ?? new IngestWriter(prisma, { logger });
  const rollups = registerRollups(ingestWriter, prisma, logger);
  closers.push({ name: 'rollup updates', close: () => rollups.settled(ROLLUPS_DRAIN_MS) });
  const searchUpkeep = registerSearchIndexUpkeep(ingestWriter, prisma, {
    cleanupChars: env.SEARCH_INDEX_CLEANUP_CHARS,
    logger,
  });
  closers.push({ name: 'search index upkeep', close: () => searchUpkeep.close() });
  const deferredSearch = registerDeferredSearch(ingestWriter, deps.searchFillDb ?? prisma, logger);
  closers.push({ name: 'deferred search fill', close: () => deferredSearch.close() });
  const metricsCache = new MetricsCache();
  rollups.onApplied((projectIds) => metricsCache.invalidate(projectIds));
  registerIncidentDetection(ingestWriter, { prisma, keyCache, events: incidentEvents, logger, rollups });
  // Closed after the HTTP server has drained and before Prisma disconnects: nothing accepted is lost.
  closers.push({ name: 'ingest writer', close: () => ingestWriter.close() });

  const gatewayOptions: GatewayOptions = {
    allowPrivateUpstreams: env.GATEWAY_ALLOW_PRIVATE_UPSTREAMS,
    timeoutMs: env.GATEWAY_TIMEOUT_MS,
    maxRetries: env.GATEWAY_MAX_RETRIES,
    ...deps.gateway,
  };

  const security = deps.security ?? createSecurity({}, deps.redis);
  const quota = deps.quota ?? quotaService;
  const guard = deps.guard ?? loadInjectionGuard(env.GUARD_MODEL_PATH).guard;
  configureAssessmentWorkers({
    threads: env.ASSESSMENT_WORKERS ?? defaultAssessmentThreads(),
    nice: env.ASSESSMENT_WORKER_NICE,
    logger,
  });
  closers.push({ name: 'assessment workers', close: () => closeAssessmentWorkers() });
  const ctx: AppContext = {
    prisma,
    reads:
      deps.reads ??
      new ReadRouter({
        primary: prisma,
        maxLagMs: env.READ_REPLICA_MAX_LAG_MS,
        checkIntervalMs: env.READ_REPLICA_CHECK_MS,
      }),
    logger,
    security,
    keyCache,
    flags,
    incidentEvents,
    openai,
    ingestWriter,
    rollups,
    metricsCache,
    quota,
    billing,
    quotaService,
    guard,
    // What /llm/request runs with, built once: the Express route, its direct path and the gateway share it.
    ingest: { writer: ingestWriter, quota, limiterFor: security.remediationLimiter, guard, logger },
    gateway: {
      options: gatewayOptions,
      upstreams: new UpstreamRegistry(prisma, keyCache, gatewayOptions),
      auditUse: providerUseAuditor(prisma),
    },
  };
  return { ctx, closers };
}

/** Closes in reverse order of registration; false when any closer failed (each is logged). */
export async function closeAll(closers: readonly Closer[], logger: Logger): Promise<boolean> {
  let ok = true;
  for (const closer of [...closers].reverse()) {
    try {
      await closer.close();
      logger.info(`${closer.name} closed`);
    } catch (err) {
      logger.error({ err }, `${closer.name} failed to close`);
      ok = false;
    }
  }
  return ok;
}
