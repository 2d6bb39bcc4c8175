import type { Request, Response } from 'express';
import { caller } from '../middleware/auth.js';
import { getMetrics, getUsage, type MetricsDeps } from '../services/analytics/metricsService.js';
import type { AppContext } from './context.js';

export function metricsController({ prisma, metricsCache, rollups, reads }: AppContext) {
  const deps: MetricsDeps = { prisma, cache: metricsCache, rollups, reads };
  return {
    async metrics(req: Request, res: Response) {
      res.json(await getMetrics(deps, caller(req), res.locals.query));
    },
    async usage(req: Request, res: Response) {
      res.json(await getUsage(deps, caller(req), res.locals.query));
    },
  };
}
