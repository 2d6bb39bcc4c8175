import { Router } from 'express';
import type { AppContext } from '../controllers/context.js';
import { llmController } from '../controllers/llmController.js';
import { requireApiKey } from '../middleware/apiKeyAuth.js';
import { rateLimit } from '../middleware/rateLimit.js';
import { validate } from '../middleware/validate.js';
import { llmFeedbackBody } from '../validators/feedbackValidators.js';
import { llmCheckBody, llmRequestBody } from '../validators/ingestValidators.js';

/** SDK routes, authenticated by API key. */
export function llmRoutes(ctx: AppContext): Router {
  const router = Router();
  const c = llmController(ctx);
  router.use(
    requireApiKey(ctx.keyCache),
    rateLimit(ctx.security.apiKey, (req) => req.apiKey?.key.apiKeyId),
  );
  router.get('/whoami', c.whoami);
  router.post('/request', validate({ body: llmRequestBody }), c.ingest);
  router.post('/check', validate({ body: llmCheckBody }), c.check);
  router.post('/feedback', validate({ body: llmFeedbackBody }), c.feedback);
  return router;
}
