import { Router } from 'express';
import type { AppContext } from '../controllers/context.js';
import { flagController } from '../controllers/flagController.js';
import { authenticated } from '../middleware/auth.js';
import { validate } from '../middleware/validate.js';
import {
  createFlagBody,
  evaluatedFlagsQuery,
  flagKeyParam,
  flagListQuery,
  updateFlagBody,
} from '../validators/flagValidators.js';

/** /admin/flags: mounted inside adminRoutes (JWT with the admin role). */
export function adminFlagRoutes(ctx: AppContext): Router {
  const router = Router();
  const c = flagController(ctx);
  const key = { params: flagKeyParam };
  router.get('/', validate({ query: flagListQuery }), c.list);
  router.post('/', validate({ body: createFlagBody }), c.create);
  router.patch('/:key', validate({ ...key, body: updateFlagBody }), c.update);
  router.post('/:key/archive', validate(key), c.archive);
  router.delete('/:key', validate(key), c.archive);
  return router;
}

/** /flags: the signed-in user's evaluated flags. */
export function flagRoutes(ctx: AppContext): Router {
  const router = Router();
  router.get(
    '/',
    authenticated(ctx.prisma, ctx.security),
    validate({ query: evaluatedFlagsQuery }),
    flagController(ctx).evaluated,
  );
  return router;
}
