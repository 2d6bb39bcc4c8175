import type { Request, Response } from 'express';
import { processStripeEvent, verifyStripeEvent, type WebhookDeps } from '../services/billing/stripeWebhookService.js';
import type { AppContext } from './context.js';

export function stripeWebhookController({ prisma, billing, keyCache, quotaService, logger }: AppContext) {
  const deps: WebhookDeps = { prisma, billing, keyCache, quota: quotaService, logger };
  return {
    /** 200 for every verified event (handled, ignored or replayed), so Stripe stops retrying. */
    async receive(req: Request, res: Response) {
      const rawBody = (req as unknown as { rawBody?: Buffer }).rawBody;
      const event = verifyStripeEvent(billing, rawBody, req.get('stripe-signature'));
      const { duplicate } = await processStripeEvent(deps, event);
      res.json({ received: true, duplicate });
    },
  };
}
