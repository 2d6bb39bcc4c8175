import { Router } from 'express';
import { configVersionController } from '../controllers/configVersionController.js';
import type { AppContext } from '../controllers/context.js';
import { authenticated } from '../middleware/auth.js';
import { validate } from '../middleware/validate.js';
import {
  configSplitBody,
  configVersionListQuery,
  configVersionParams,
  createConfigVersionBody,
  promoteBody,
} from '../validators/configVersionValidators.js';
import { projectIdParam } from '../validators/projectValidators.js';

/** /projects/:id/config-versions and /projects/:id/config-split (mounted under /projects). */
export function configVersionRoutes(ctx: AppContext): Router {
  const router = Router();
  const c = configVersionController(ctx);
  // Per route, not router.use: this router shares the /projects prefix with projectRoutes.
  const auth = authenticated(ctx.prisma, ctx.security);
  const params = { params: projectIdParam };
  router.get('/:id/config-versions', auth, validate({ ...params, query: configVersionListQuery }), c.list);
  router.post('/:id/config-versions', auth, validate({ ...params, body: createConfigVersionBody }), c.create);
  router.get('/:id/config-versions/:n', auth, validate({ params: configVersionParams }), c.get);
  router.post('/:id/config-versions/:n/activate', auth, validate({ params: configVersionParams }), c.activate);
  router.put('/:id/config-split', auth, validate({ ...params, body: configSplitBody }), c.setSplit);
  router.delete('/:id/config-split', auth, validate(params), c.endSplit);
  router.post('/:id/config-split/promote', auth, validate({ ...params, body: promoteBody }), c.promote);
  return router;
}
