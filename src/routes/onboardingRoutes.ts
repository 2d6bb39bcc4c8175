import { Router } from 'express';
import type { AppContext } from '../controllers/context.js';
import { onboardingController } from '../controllers/onboardingController.js';
import { authenticated } from '../middleware/auth.js';
import { validate } from '../middleware/validate.js';
import { alertTestBody } from '../validators/onboardingValidators.js';

/** The signed-in user's setup guide (JWT); the admin funnel is under /admin/onboarding-funnel. */
export function onboardingRoutes(ctx: AppContext): Router {
  const router = Router();
  const c = onboardingController(ctx);
  router.use(authenticated(ctx.prisma, ctx.security));
  router.get('/', c.get);
  router.post('/dismiss', c.dismiss);
  router.post('/alerts/test', validate({ body: alertTestBody }), c.testAlert);
  return router;
}
