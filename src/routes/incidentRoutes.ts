import { Router } from 'express';
import type { AppContext } from '../controllers/context.js';
import { incidentController } from '../controllers/incidentController.js';
import { authenticated } from '../middleware/auth.js';
import { validate } from '../middleware/validate.js';
import { idParam } from '../validators/common.js';
import {
  incidentListQuery,
  remediationBody,
  remediationParams,
  resolveBody,
} from '../validators/incidentValidators.js';

export function incidentRoutes(ctx: AppContext): Router {
  const router = Router();
  const c = incidentController(ctx);
  const byId = { params: idParam };
  router.use(authenticated(ctx.prisma, ctx.security));
  router.get('/', validate({ query: incidentListQuery }), c.list);
  router.get('/:id', validate(byId), c.get);
  router.post('/:id/resolve', validate({ ...byId, body: resolveBody }), c.resolve);
  router.post('/:id/rca', validate(byId), c.rca);
  router.post('/:id/apply-remediation', validate({ ...byId, body: remediationBody }), c.applyRemediation);
  router.get('/:id/remediations', validate(byId), c.remediations);
  router.post('/:id/remediations/:rid/revert', validate({ params: remediationParams }), c.revert);
  router.get('/:id/alerts', validate(byId), c.alerts);
  return router;
}
