import { Router } from 'express';
import type { DatabaseHealth } from '../db/databaseHealth.js';
import type { PrismaClient } from '../db/prisma.js';
import type { Lifecycle } from '../services/ops/lifecycle.js';
import { checkReadiness } from '../services/ops/healthService.js';

export interface HealthDeps {
  prisma: PrismaClient;
  /** Names of migrations that must be applied for /readyz to pass. */
  expectedMigrations?: string[];
  /** Whether the database is reachable (the server's probe); /readyz answers 503 at once while it is down. */
  databaseHealth?: DatabaseHealth;
  /** Set to draining on SIGTERM by server.ts: /readyz then answers 503. */
  lifecycle?: Lifecycle;
}

export function healthRouter(deps: HealthDeps): Router {
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
