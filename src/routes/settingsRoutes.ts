import { Router } from 'express';
import type { AppContext } from '../controllers/context.js';
import { profileController } from '../controllers/profileController.js';
import { settingsController } from '../controllers/settingsController.js';
import { authenticated } from '../middleware/auth.js';
import { validate } from '../middleware/validate.js';
import { profileUpdateBody } from '../validators/profileValidators.js';
import { modelSettingsBody, projectIdQuery, projectSettingsBody } from '../validators/projectValidators.js';

export function settingsRoutes(ctx: AppContext): Router {
  const router = Router();
  const profile = profileController(ctx);
  const settings = settingsController(ctx);
  const byProject = validate({ query: projectIdQuery });
  router.use(authenticated(ctx.prisma, ctx.security));
  router.get('/profile', profile.get);
  router.post('/profile', validate({ body: profileUpdateBody }), profile.update);
  router.get('/project', byProject, settings.getProject);
  router.post('/project', validate({ query: projectIdQuery, body: projectSettingsBody }), settings.updateProject);
  router.get('/api-keys', byProject, settings.apiKeys);
  router.get('/model-settings', byProject, settings.getModels);
  router.post('/model-settings', validate({ query: projectIdQuery, body: modelSettingsBody }), settings.updateModels);
  return router;
}
