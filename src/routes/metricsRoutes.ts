import { Router } from 'express';
import type { AppContext } from '../controllers/context.js';
import { metricsController } from '../controllers/metricsController.js';
import { authenticated } from '../middleware/auth.js';
import { validate } from '../middleware/validate.js';
import { metricsQuery, usageQuery } from '../validators/metricsValidators.js';

export function metricsRoutes(ctx: AppContext): Router {
  const router = Router();
  const c = metricsController(ctx);
  router.use(authenticated(ctx.prisma, ctx.security));
  router.get('/', validate({ query: metricsQuery }), c.metrics);
  router.get('/usage', validate({ query: usageQuery }), c.usage);
  return router;
}
