import cors from 'cors';
import express, { type Express } from 'express';
import helmet from 'helmet';
import { env } from './config/env.js';
import { API_PREFIX, API_VERSION } from './config/constants.js';
import type { DatabaseHealth } from './db/databaseHealth.js';
import { apiVersion } from './middleware/apiVersion.js';
import { httpMetrics } from './observability/metrics.js';
import { prometheusRouter } from './routes/prometheusRoutes.js';
import { errorHandler, notFound } from './middleware/errorHandler.js';
import { httpLogger } from './middleware/httpLogger.js';
import { requestId } from './middleware/requestId.js';
import { largeJsonBody } from './middleware/largeJsonBody.js';
import { requireJson } from './middleware/requireJson.js';
import { storableInput } from './middleware/storableInput.js';
import { docsRouter } from './docs/docsRoutes.js';
import { apiRouter } from './routes/index.js';
import { headersSetBy, withDirectPath, type DirectPath } from './routes/directPath.js';
import { LARGE_BODY_BYTES } from './utils/bodyReader.js';
import { authenticateApiKey } from './middleware/apiKeyAuth.js';
import { AppError } from './utils/AppError.js';
import { gatewayFastPath } from './routes/gatewayFastPath.js';
import { checkFastPath, ingestFastPath } from './routes/ingestFastPath.js';
import { gatewayController } from './controllers/gatewayController.js';
import { healthRouter } from './routes/healthRoutes.js';
import { logger as defaultLogger } from './utils/logger.js';
import type { AppContext } from './controllers/context.js';
import { GATEWAY_PREFIX, gatewayErrorHandler, gatewayRoutes } from './routes/gatewayRoutes.js';
import type { Lifecycle } from './services/ops/lifecycle.js';
import { wire, type WiringDeps } from './wiring.js';

export interface AppDeps extends WiringDeps {
  /**
   * The context built by wire() (the server builds it with its own pools and bus); when absent,
   * createApp wires one from the other fields and their defaults.
   */
  context?: AppContext;
  /** Whether the database is reachable (the server's probe); /readyz answers 503 at once while it is down. */
  databaseHealth?: DatabaseHealth;
  /** Names of migrations that must be applied for /readyz to pass. */
  expectedMigrations?: string[];
  /** Bearer token guarding GET /metrics (defaults to METRICS_TOKEN; unset = open). */
  metricsToken?: string;
  /** Browser origins allowed by CORS (defaults to CORS_ORIGINS). */
  corsOrigins?: string[];
  /** Express "trust proxy" (defaults to TRUST_PROXY). */
  trustProxy?: number | boolean;
  /** POST /llm/request and /llm/check on their direct paths (defaults to INGEST_FAST_PATH); false = through Express. */
  ingestFastPath?: boolean;
  /** POST /v1/chat/completions on its direct path (defaults to GATEWAY_FAST_PATH); false = through Express. */
  gatewayFastPath?: boolean;
  /** Set to draining on SIGTERM by server.ts: /readyz then answers 503 (see SHUTDOWN_DRAIN_DELAY_MS). */
  lifecycle?: Lifecycle;
  /** Extra routes mounted before the 404 handler (tests use it for probe routes). */
  mount?: (app: Express) => void;
}

/**
 * Whether a path's route may take a body up to BODY_LIMIT: the SDK's routes (/llm/request,
 * /llm/check, /llm/feedback), /guard/check and the gateway. Express matches routes without
 * regard to case or a trailing slash, so neither is regarded here.
 */
export function takesLargeBodies(path: string): boolean {
  const p = path.toLowerCase();
  return (
    p.startsWith(`${API_PREFIX}/llm/`) ||
    p === `${API_PREFIX}/guard/check` ||
    p === `${API_PREFIX}/guard/check/` ||
    p.startsWith(`${GATEWAY_PREFIX}/`)
  );
}

/** Whether every route under a path needs an API key: the SDK's (`/llm/*`) and the gateway's. */
function needsApiKey(path: string): boolean {
  const p = path.toLowerCase();
  return p.startsWith(`${API_PREFIX}/llm/`) || p.startsWith(`${GATEWAY_PREFIX}/`);
}

/** A body over 64 KiB, or of a length not given (chunked): what the direct paths check a key for first. */
function mayBeLarge(req: express.Request): boolean {
  const length = req.headers['content-length'];
  return length === undefined ? req.headers['transfer-encoding'] !== undefined : Number(length) > LARGE_BODY_BYTES;
}

/** Whether the request carries a valid API key; an error other than a refused key is left to the route. */
async function hasValidKey(ctx: AppContext, req: express.Request): Promise<boolean> {
  try {
    await authenticateApiKey(ctx.keyCache, req);
    return true;
  } catch (err) {
    return !(err instanceof AppError && err.code === 'UNAUTHORIZED');
  }
}

/** Builds the Express application (no listening, no database start-up). */
export function createApp(deps: AppDeps): Express {
  const app = express();
  const logger = deps.context?.logger ?? deps.logger ?? defaultLogger;
  app.disable('x-powered-by');
  // JSON API: no client revalidates with If-None-Match, so no SHA-1 of every response body.
  app.set('etag', false);
  app.set('trust proxy', deps.trustProxy ?? env.TRUST_PROXY);

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
  // Two limits: the routes that score texts (and the gateway) take BODY_LIMIT; every other route
  // (sign-in, the dashboard, webhooks) OTHER_BODY_LIMIT, so a body of megabytes sent to them,
  // signed in or not, is refused before it is parsed (parsing holds the event loop: 9 MB sent
  // to /auth/login held /healthz 194 ms).
  // Webhook signatures are computed over the exact bytes received.
  const keepRawBody = (req: unknown, _res: unknown, buf: Buffer) => {
    (req as { rawBody?: Buffer }).rawBody = buf;
  };
  const jsonUpTo = (limit: string) => express.json({ limit, verify: keepRawBody });
  const scoringJson = jsonUpTo(env.BODY_LIMIT);
  const otherJson = jsonUpTo(env.OTHER_BODY_LIMIT);
  // A body that may be large is read in turns of the event loop, then decoded and parsed in turns of their own.
  const largeScoringJson = largeJsonBody({
    limit: env.BODY_LIMIT,
    verify: keepRawBody,
    fallback: scoringJson,
  });
  const ctx = deps.context ?? wire(deps).ctx;
  app.use(async function jsonParser(req, res, next) {
    if (!takesLargeBodies(req.path)) return otherJson(req, res, next);
    // A large body for an API-key route is read only with a valid key, as on the direct paths
    // (directPath.ts): left unread, the route's requireApiKey refuses it and node discards it.
    const large = mayBeLarge(req);
    if (needsApiKey(req.path) && large && !(await hasValidKey(ctx, req))) return next();
    (large ? largeScoringJson : scoringJson)(req, res, next);
  });
  // NUL, unpaired surrogates and absurd nesting anywhere in path, query or body: 400 here, once.
  app.use(storableInput);

  // One controller for the gateway's Express routes and its direct path.
  const gateway = gatewayController(ctx);
  // The API first: its prefix is matched once, so /llm/request walks the fewest layers.
  app.use(API_PREFIX, apiRouter(ctx));
  // The OpenAI-compatible gateway beside the API: apps change their base URL and nothing else.
  app.use(GATEWAY_PREFIX, gatewayRoutes(ctx, gateway));
  app.use(healthRouter(deps));
  app.use(prometheusRouter(deps.metricsToken));
  app.use(docsRouter(app));
  deps.mount?.(app);

  app.use(notFound);
  // Failures under /v1 that happen before its router (body parsing) keep OpenAI's error shape.
  app.use(GATEWAY_PREFIX, gatewayErrorHandler);
  app.use(errorHandler);

  const direct = {
    bodyLimit: env.BODY_LIMIT,
    staticHeaders: [...headersSetBy(securityHeaders), ['X-API-Version', API_VERSION]] as [string, string][],
    logger,
  };
  const paths: DirectPath[] = [];
  if (deps.ingestFastPath ?? env.INGEST_FAST_PATH) {
    const fast = ingestFastPath(app, ctx, direct);
    app.locals.ingestFastPath = fast.stats;
    const check = checkFastPath(app, ctx, direct);
    app.locals.checkFastPath = check.stats;
    paths.push(fast, check);
  }
  if (deps.gatewayFastPath ?? env.GATEWAY_FAST_PATH) {
    const fast = gatewayFastPath(app, ctx, gateway, direct);
    app.locals.gatewayFastPath = fast.stats;
    paths.push(fast);
  }
  return paths.length ? withDirectPath(app, ...paths) : app;
}
