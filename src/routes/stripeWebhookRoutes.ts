import { Router } from 'express';
import type { AppContext } from '../controllers/context.js';
import { stripeWebhookController } from '../controllers/stripeWebhookController.js';

/** Stripe calls this: no JWT, the Stripe-Signature over the raw body is the authentication. */
export function stripeWebhookRoutes(ctx: AppContext): Router {
  const router = Router();
  router.post('/', stripeWebhookController(ctx).receive);
  return router;
}
