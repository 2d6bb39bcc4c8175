import { Router } from 'express';
import type { AppContext } from '../controllers/context.js';
import { datadogWebhookController } from '../controllers/datadogWebhookController.js';
import { validate } from '../middleware/validate.js';
import { datadogQuery } from '../validators/incidentValidators.js';

/** Called by Datadog, authenticated by the HMAC signature of the body (no JWT). */
export function datadogWebhookRoutes(ctx: AppContext): Router {
  const router = Router();
  const c = datadogWebhookController(ctx);
  router.post('/', validate({ query: datadogQuery }), c.receive);
  return router;
}
