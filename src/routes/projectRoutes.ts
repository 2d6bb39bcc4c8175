import { Router } from 'express';
import type { AppContext } from '../controllers/context.js';
import { projectController } from '../controllers/projectController.js';
import { authenticated } from '../middleware/auth.js';
import { validate } from '../middleware/validate.js';
import { pageQuery } from '../validators/common.js';
import {
  createApiKeyBody,
  createProjectBody,
  deleteApiKeyBody,
  projectIdParam,
  rotateApiKeyBody,
} from '../validators/projectValidators.js';

export function projectRoutes(ctx: AppContext): Router {
  const router = Router();
  const c = projectController(ctx);
  const params = { params: projectIdParam };
  router.use(authenticated(ctx.prisma, ctx.security));
  router.get('/', validate({ query: pageQuery }), c.list);
  router.post('/', validate({ body: createProjectBody }), c.create);
  router.get('/:id', validate(params), c.get);
  router.delete('/:id', validate(params), c.remove);
  router.get('/:id/api-keys', validate(params), c.listKeys);
  router.post('/:id/api-keys/create', validate({ ...params, body: createApiKeyBody }), c.createKey);
  router.post('/:id/api-keys/rotate', validate({ ...params, body: rotateApiKeyBody }), c.rotateKey);
  router.post('/:id/api-keys/delete', validate({ ...params, body: deleteApiKeyBody }), c.deleteKey);
  return router;
}
