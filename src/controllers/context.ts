import type { Request } from 'express';
import type { InjectionGuard } from '../domain/guard/injectionGuard.js';
import type OpenAI from 'openai';
import type { Logger } from 'pino';
import type { PrismaClient } from '../db/prisma.js';
import type { ReadRouter } from '../db/readReplica.js';
import type { BillingConfig } from '../integrations/stripeClient.js';
import type { AuditContext } from '../services/ops/auditService.js';
import type { IngestDeps, QuotaGate } from '../services/ingest/admission.js';
import type { IngestWriter } from '../services/ingest/ingestWriter.js';
import type { IncidentEvents } from '../services/incidents/incidentEvents.js';
import type { KeyCache } from '../services/auth/keyCache.js';
import type { FeatureFlags } from '../services/flags/featureFlags.js';
import type { QuotaService } from '../services/billing/quotaService.js';
import type { MetricsCache } from '../services/analytics/metricsCache.js';
import type { RollupMaintainer } from '../services/analytics/rollupService.js';
import type { Security } from '../services/auth/security.js';
import type { ResolvedProvider } from '../services/gateway/providerUse.js';
import type { GatewayOptions, UpstreamRegistry } from '../services/gateway/upstreams.js';

/** The /v1 gateway's settings, upstream clients and key-use auditing. */
export interface GatewayContext {
  options: GatewayOptions;
  upstreams: UpstreamRegistry;
  auditUse: (provider: ResolvedProvider, apiKeyId: string) => void;
}

/** What controllers and routers are built with. */
export interface AppContext {
  prisma: PrismaClient;
  /** Heavy dashboard reads: the read replica when configured and usable, else `prisma`. */
  reads: ReadRouter;
  security: Security;
  keyCache: KeyCache;
  /** feature flags of the platform, cached and invalidated on the key cache's bus */
  flags: FeatureFlags;
  incidentEvents: IncidentEvents;
  /** OpenAI client for RCA; null/undefined means the deterministic fallback */
  openai?: OpenAI | null;
  ingestWriter: IngestWriter;
  /** Rollup updates of the writer's batches (registered by createApp). */
  rollups: RollupMaintainer;
  /** Metrics answers, invalidated by each commit for the project. */
  metricsCache: MetricsCache;
  quota: QuotaGate;
  /** Stripe client and billing settings (stripe: null = billing not configured). */
  billing: BillingConfig;
  /** Plan state and usage read-outs; also the default `quota`. */
  quotaService: QuotaService;
  logger: Logger;
  gateway: GatewayContext;
  /** the learned injection classifier, loaded once at start-up */
  guard: InjectionGuard;
  /** the ingestion flow's dependencies (writer, quota, remediation limiter, guard, logger), built once */
  ingest: IngestDeps;
}

/** Who and where, for audit rows. */
export function auditContext(req: Request): AuditContext {
  return {
    actorId: req.auth?.sub ?? null,
    ip: req.ip ?? null,
    userAgent: req.get('user-agent') ?? null,
    requestId: String(req.id),
  };
}
