import { Router, type RequestHandler } from 'express';
import type { AppContext } from '../controllers/context.js';
import { guardController } from '../controllers/guardController.js';
import { extractApiKey, requireApiKey } from '../middleware/apiKeyAuth.js';
import { requireAuth } from '../middleware/auth.js';
import { rateLimit } from '../middleware/rateLimit.js';
import { validate } from '../middleware/validate.js';
import { API_KEY_PREFIX } from '../services/auth/apiKeyService.js';
import { guardCheckBody } from '../validators/guardValidators.js';

/**
 * The guard playground and pre-flight check. An API key (`X-API-Key`, or a bearer token that
 * is a key) or a dashboard JWT; either way the ingestion limiter counts the call (per key, or
 * per user for JWT callers).
 */
export function guardRoutes(ctx: AppContext): Router {
  const router = Router();
  const c = guardController(ctx);
  const byKey: RequestHandler[] = [
    requireApiKey(ctx.keyCache),
    rateLimit(ctx.security.apiKey, (req) => req.apiKey?.key.apiKeyId),
  ];
  const byJwt: RequestHandler[] = [
    requireAuth(ctx.prisma),
    rateLimit(ctx.security.apiKey, (req) => (req.auth ? `user:${req.auth.sub}` : undefined)),
  ];
  const either: RequestHandler = (req, res, next) => {
    const key = extractApiKey(req);
    const chain = key?.startsWith(API_KEY_PREFIX) ? byKey : byJwt;
    let i = 0;
    const step = (err?: unknown) => {
      if (err !== undefined || i === chain.length) {
        next(err);
        return;
      }
      const handler = chain[i++]!;
      Promise.resolve(handler(req, res, step)).catch(next);
    };
    step();
  };
  router.post('/check', either, validate({ body: guardCheckBody }), c.check);
  return router;
}
