import type { Request, Response } from 'express';
import { caller } from '../middleware/auth.js';
import { getLog, listLogs } from '../services/analytics/logService.js';
import type { AppContext } from './context.js';

export function logController({ prisma, reads }: AppContext) {
  return {
    async list(req: Request, res: Response) {
      res.json(await listLogs(prisma, caller(req), res.locals.query, reads));
    },
    async get(req: Request, res: Response) {
      res.json({ request: await getLog(prisma, caller(req), String(req.params.id)) });
    },
  };
}
