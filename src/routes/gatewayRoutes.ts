import { Router, type ErrorRequestHandler, type RequestHandler } from 'express';
import type { AppContext } from '../controllers/context.js';
import { gatewayController } from '../controllers/gatewayController.js';
import { requireApiKey } from '../middleware/apiKeyAuth.js';
import { ipBlockGuard } from '../middleware/ipBlock.js';
import { rateLimit } from '../middleware/rateLimit.js';
import { validate } from '../middleware/validate.js';
import { toGatewayFailure } from '../services/gateway/openaiErrors.js';
import { AppError } from '../utils/AppError.js';
import { chatCompletionBody, embeddingsBody } from '../validators/gatewayValidators.js';

export const GATEWAY_PREFIX = '/v1';

/** Every failure under /v1 in OpenAI's error shape (mounted at /v1 in front of the API's handler). */
export const gatewayErrorHandler: ErrorRequestHandler = (err, req, res, _next) => {
  const failure = toGatewayFailure(err);
  if (failure.internal) req.log?.error({ err, requestId: req.id }, 'request failed');
  if (res.headersSent) {
    res.destroy();
    return;
  }
  for (const [name, value] of Object.entries(failure.headers)) res.setHeader(name, value);
  res.status(failure.status).json(failure.body);
};

const gatewayNotFound: RequestHandler = (req, _res, next) => {
  next(new AppError('NOT_FOUND', `Unknown gateway route ${req.method} ${req.baseUrl}${req.path}`));
};

/** The OpenAI-compatible gateway, authenticated by the project's API key (Authorization: Bearer lgk_...). */
export function gatewayRoutes(ctx: AppContext): Router {
  const router = Router();
  const c = gatewayController(ctx);
  router.use(
    ipBlockGuard(ctx.security),
    requireApiKey(ctx.keyCache),
    rateLimit(ctx.security.apiKey, (req) => req.apiKey?.key.apiKeyId),
  );
  router.post('/chat/completions', validate({ body: chatCompletionBody }), c.chat);
  router.post('/embeddings', validate({ body: embeddingsBody }), c.embeddings);
  router.get('/models', c.models);
  router.use(gatewayNotFound);
  router.use(gatewayErrorHandler);
  return router;
}
