import { Router } from 'express';
import type { AppContext } from '../controllers/context.js';
import { profileController } from '../controllers/profileController.js';
import { requireAuth } from '../middleware/auth.js';
import { validate } from '../middleware/validate.js';
import { profileUpdateBody } from '../validators/profileValidators.js';

export function settingsRoutes(ctx: AppContext): Router {
  const router = Router();
  const profile = profileController(ctx);
  router.use(requireAuth(ctx.prisma));
  router.get('/profile', profile.get);
  router.post('/profile', validate({ body: profileUpdateBody }), profile.update);
  return router;
}
