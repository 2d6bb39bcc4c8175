import { Router } from 'express';
import type { AppDeps } from '../app.js';
import { checkReadiness } from '../services/ops/healthService.js';

export function healthRouter(deps: AppDeps): Router {
  const router = Router();
  router.get('/healthz', (_req, res) => {
    res.json({ status: 'ok' });
  });
  router.get('/readyz', async (_req, res) => {
    if (deps.lifecycle?.draining) {
      // Taken out of rotation: the balancer sees 503 while in-flight and late requests still succeed.
      res.setHeader('Retry-After', '5');
      res.status(503).json({ status: 'draining', ready: false });
      return;
    }
    const readiness = await checkReadiness(deps.prisma, deps.expectedMigrations ?? [], deps.databaseHealth);
    if (!readiness.ready) res.setHeader('Retry-After', '5');
    res.status(readiness.ready ? 200 : 503).json({ status: readiness.ready ? 'ready' : 'unavailable', ...readiness });
  });
  return router;
}
