import { Router, type RequestHandler } from 'express';
import { billingController } from '../controllers/billingController.js';
import type { AppContext } from '../controllers/context.js';
import { authenticated } from '../middleware/auth.js';
import { validate } from '../middleware/validate.js';
import { requireStripe, type BillingConfig } from '../integrations/stripeClient.js';
import { checkoutBody } from '../validators/billingValidators.js';
import { pageQuery } from '../validators/common.js';

/** 503 BILLING_NOT_CONFIGURED for every billing endpoint on a server without Stripe keys. */
const billingConfigured =
  (billing: BillingConfig): RequestHandler =>
  (_req, _res, next) => {
    requireStripe(billing);
    next();
  };

export function billingRoutes(ctx: AppContext): Router {
  const router = Router();
  const c = billingController(ctx);
  router.use(authenticated(ctx.prisma, ctx.security), billingConfigured(ctx.billing));
  router.post('/checkout', validate({ body: checkoutBody }), c.checkout);
  router.post('/portal', c.portal);
  router.get('/invoices', validate({ query: pageQuery }), c.invoices);
  router.get('/subscription', c.subscription);
  return router;
}
