import type { Request, Response } from 'express';
import { caller } from '../middleware/auth.js';
import {
  listInvoices,
  openPortal,
  startCheckout,
  subscriptionSummary,
  type BillingDeps,
} from '../services/billing/billingService.js';
import { auditContext, type AppContext } from './context.js';

export function billingController({ prisma, billing, quotaService }: AppContext) {
  const deps: BillingDeps = { prisma, billing, quota: quotaService };
  return {
    async checkout(req: Request, res: Response) {
      res.json(await startCheckout(deps, caller(req).sub, req.body.plan, auditContext(req)));
    },
    async portal(req: Request, res: Response) {
      res.json(await openPortal(deps, caller(req).sub));
    },
    async invoices(req: Request, res: Response) {
      res.json(await listInvoices(prisma, { userId: caller(req).sub, page: res.locals.query }));
    },
    async subscription(req: Request, res: Response) {
      res.json(await subscriptionSummary(deps, caller(req).sub));
    },
  };
}
