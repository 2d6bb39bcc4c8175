import { Router } from 'express';
import type { AppContext } from '../controllers/context.js';
import { ipBlockGuard } from '../middleware/ipBlock.js';
import { adminRoutes } from './adminRoutes.js';
import { authRoutes } from './authRoutes.js';
import { datadogWebhookRoutes } from './datadogWebhookRoutes.js';
import { feedbackRoutes } from './feedbackRoutes.js';
import { flagRoutes } from './flagRoutes.js';
import { onboardingRoutes } from './onboardingRoutes.js';
import { incidentRoutes } from './incidentRoutes.js';
import { billingRoutes } from './billingRoutes.js';
import { configVersionRoutes } from './configVersionRoutes.js';
import { guardRoutes } from './guardRoutes.js';
import { llmRoutes } from './llmRoutes.js';
import { logRoutes } from './logRoutes.js';
import { metricsRoutes } from './metricsRoutes.js';
import { projectRoutes } from './projectRoutes.js';
import { settingsRoutes } from './settingsRoutes.js';
import { stripeWebhookRoutes } from './stripeWebhookRoutes.js';

/** Every /api/v1 router, mounted in one place. */
export function apiRouter(ctx: AppContext): Router {
  const router = Router();
  router.use(ipBlockGuard(ctx.security));
  // The ingestion route first: it carries almost all of the traffic.
  router.use('/llm', llmRoutes(ctx));
  router.use('/guard', guardRoutes(ctx));
  router.use('/auth', authRoutes(ctx));
  router.use('/admin', adminRoutes(ctx));
  router.use('/settings', settingsRoutes(ctx));
  router.use('/projects', configVersionRoutes(ctx));
  router.use('/projects', projectRoutes(ctx));
  router.use('/logs', logRoutes(ctx));
  router.use('/metrics', metricsRoutes(ctx));
  router.use('/billing', billingRoutes(ctx));
  router.use('/webhooks/stripe', stripeWebhookRoutes(ctx));
  router.use('/webhooks/datadog', datadogWebhookRoutes(ctx));
  router.use('/incidents', incidentRoutes(ctx));
  router.use('/feedback', feedbackRoutes(ctx));
  router.use('/onboarding', onboardingRoutes(ctx));
  router.use('/flags', flagRoutes(ctx));
  return router;
}
