import type { ServerResponse } from 'node:http';
import { Router, type ErrorRequestHandler, type RequestHandler } from 'express';
import type { Logger } from 'pino';
import type { AppContext } from '../controllers/context.js';
import { gatewayController } from '../controllers/gatewayController.js';
import { requireApiKey } from '../middleware/apiKeyAuth.js';
import { ipBlockGuard } from '../middleware/ipBlock.js';
import { rateLimit } from '../middleware/rateLimit.js';
import { validate } from '../middleware/validate.js';
import { toGatewayFailure } from '../services/gateway/openaiErrors.js';
import { AppError } from '../utils/AppError.js';
import { sendJson } from '../utils/sendJson.js';
import { chatCompletionBody, embeddingsBody } from '../validators/gatewayValidators.js';

export const GATEWAY_PREFIX = '/v1';
export const GATEWAY_CHAT_ROUTE = `${GATEWAY_PREFIX}/chat/completions`;

/**
 * A failure under /v1 answered in OpenAI's error shape (by the error handler below and by the
 * direct path); `log` gives the request's logger, asked for only when there is something to log.
 */
export function sendGatewayError(
  err: unknown,
  res: ServerResponse,
  log: () => Logger | undefined,
  requestId: string | undefined,
): void {
  const failure = toGatewayFailure(err);
  if (failure.internal) log()?.error({ err, requestId }, 'request failed');
  if (res.headersSent) {
    res.destroy();
    return;
  }
  for (const [name, value] of Object.entries(failure.headers)) res.setHeader(name, value);
  sendJson(res, failure.status, failure.body);
}

/** Every failure under /v1 in OpenAI's error shape (mounted at /v1 in front of the API's handler). */
export const gatewayErrorHandler: ErrorRequestHandler = (err, req, res, _next) => {
  sendGatewayError(err, res, () => req.log, req.id);
};

const gatewayNotFound: RequestHandler = (req, _res, next) => {
  next(new AppError('NOT_FOUND', `Unknown gateway route ${req.method} ${req.baseUrl}${req.path}`));
};

/** The OpenAI-compatible gateway, authenticated by the project's API key (Authorization: Bearer lgk_...). */
export function gatewayRoutes(ctx: AppContext, c = gatewayController(ctx)): Router {
  const router = Router();
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
