import { Router } from 'express';
import { env } from '../config/env.js';
import { registry } from '../observability/metrics.js';
import { AppError } from '../utils/AppError.js';
import { safeEqual } from '../utils/crypto.js';

/** GET /metrics in Prometheus text format; behind `Authorization: Bearer <METRICS_TOKEN>` when set. */
export function prometheusRouter(token: string | undefined = env.METRICS_TOKEN): Router {
  const router = Router();
  router.get('/metrics', async (req, res) => {
    if (token) {
      const given = /^Bearer\s+(\S+)$/i.exec(req.get('authorization') ?? '')?.[1] ?? '';
      if (!safeEqual(given, token)) throw new AppError('UNAUTHORIZED', 'A valid metrics token is required');
    }
    res.setHeader('Content-Type', registry.contentType);
    res.send(await registry.metrics());
  });
  return router;
}
