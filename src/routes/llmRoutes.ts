import { Router } from 'express';
import type { AppContext } from '../controllers/context.js';
import { requireApiKey } from '../middleware/apiKeyAuth.js';
import { rateLimit } from '../middleware/rateLimit.js';

/** SDK routes, authenticated by API key. */
export function llmRoutes(ctx: AppContext): Router {
  const router = Router();
  router.use(
    requireApiKey(ctx.keyCache),
    rateLimit(ctx.security.apiKey, (req) => req.apiKey?.key.apiKeyId),
  );
  router.get('/whoami', (req, res) => {
    const { key, project } = req.apiKey!;
    res.json({ projectId: key.projectId, apiKeyId: key.apiKeyId, plan: project.plan });
  });
  return router;
}
