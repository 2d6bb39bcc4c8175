import { Router } from 'express';
import type { AppContext } from '../controllers/context.js';
import { projectController } from '../controllers/projectController.js';
import { providerController } from '../controllers/providerController.js';
import { authenticated } from '../middleware/auth.js';
import { validate } from '../middleware/validate.js';
import { pageQuery } from '../validators/common.js';
import {
  createApiKeyBody,
  createProjectBody,
  createProviderBody,
  deleteApiKeyBody,
  projectIdParam,
  providerParams,
  providerVersionParams,
  rotateApiKeyBody,
  rotateProviderBody,
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
  const p = providerController(ctx);
  router.get('/:id/providers', validate(params), p.list);
  router.post('/:id/providers', validate({ ...params, body: createProviderBody }), p.create);
  router.post(
    '/:id/providers/:providerId/rotate',
    validate({ params: providerParams, body: rotateProviderBody }),
    p.rotate,
  );
  router.delete(
    '/:id/providers/:providerId/versions/:version',
    validate({ params: providerVersionParams }),
    p.revokeVersion,
  );
  router.delete('/:id/providers/:providerId', validate({ params: providerParams }), p.remove);
  return router;
}
