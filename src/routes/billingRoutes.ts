import { Router, type RequestHandler } from 'express';
import { billingController } from '../controllers/billingController.js';
import type { AppContext } from '../controllers/context.js';
import { authenticated } from '../middleware/auth.js';
import { validate } from '../middleware/validate.js';
import { requireStripe, type BillingConfig } from '../integrations/stripeClient.js';
import { checkoutBody } from '../validators/billingValidators.js';
import { pageQuery } from '../validators/common.js';

/**
 * 503 BILLING_NOT_CONFIGURED for what needs Stripe (checkout, portal) on a self-hosted server,
 * after the request's own validation. Invoices and the subscription read-out work either way.
 */
const billingConfigured =
  (billing: BillingConfig): RequestHandler =>
  (_req, _res, next) => {
    requireStripe(billing);
    next();
  };

export function billingRoutes(ctx: AppContext): Router {
  const router = Router();
  const c = billingController(ctx);
  const needsStripe = billingConfigured(ctx.billing);
  router.use(authenticated(ctx.prisma, ctx.security));
  router.post('/checkout', validate({ body: checkoutBody }), needsStripe, c.checkout);
  router.post('/portal', needsStripe, c.portal);
  router.get('/invoices', validate({ query: pageQuery }), c.invoices);
  router.get('/subscription', c.subscription);
  return router;
}
