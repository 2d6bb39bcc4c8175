import type { Request, Response } from 'express';
import { caller } from '../middleware/auth.js';
import {
  dismissOnboarding,
  getOnboarding,
  onboardingFunnel,
  testAlertWebhook,
} from '../services/onboarding/onboardingService.js';
import { auditContext, type AppContext } from './context.js';

export function onboardingController({ prisma }: AppContext) {
  return {
    async get(req: Request, res: Response) {
      const baseUrl = `${req.protocol}://${req.get('host') ?? 'localhost'}`;
      res.json(await getOnboarding(prisma, { caller: caller(req), baseUrl, audit: auditContext(req) }));
    },
    async dismiss(req: Request, res: Response) {
      await dismissOnboarding(prisma, { userId: caller(req).sub, audit: auditContext(req) });
      res.status(204).end();
    },
    async testAlert(req: Request, res: Response) {
      const outcome = await testAlertWebhook(prisma, {
        caller: caller(req),
        projectId: req.body.projectId,
        audit: auditContext(req),
      });
      res.json(outcome);
    },
    async funnel(_req: Request, res: Response) {
      res.json(await onboardingFunnel(prisma, res.locals.query));
    },
  };
}
