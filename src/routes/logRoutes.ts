import { Router } from 'express';
import type { AppContext } from '../controllers/context.js';
import { logController } from '../controllers/logController.js';
import { authenticated } from '../middleware/auth.js';
import { validate } from '../middleware/validate.js';
import { idParam } from '../validators/common.js';
import { logSearchQuery } from '../validators/logValidators.js';

export function logRoutes(ctx: AppContext): Router {
  const router = Router();
  const c = logController(ctx);
  router.use(authenticated(ctx.prisma, ctx.security));
  router.get('/', validate({ query: logSearchQuery }), c.list);
  router.get('/:id', validate({ params: idParam }), c.get);
  return router;
}
