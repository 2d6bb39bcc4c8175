import type { Request, Response } from 'express';
import { caller } from '../middleware/auth.js';
import {
  activateConfigVersion,
  createConfigVersion,
  endConfigSplit,
  getConfigVersion,
  listConfigVersions,
  promoteSplitArm,
  setConfigSplit,
} from '../services/projects/configVersionService.js';
import { auditContext, type AppContext } from './context.js';

export function configVersionController({ prisma, keyCache, flags }: AppContext) {
  const deps = { prisma, keyCache, flags };
  const call = (req: Request) => ({ caller: caller(req), projectId: String(req.params.id), ctx: auditContext(req) });
  return {
    async list(req: Request, res: Response) {
      res.json(await listConfigVersions(deps, { ...call(req), page: res.locals.query }));
    },
    async get(req: Request, res: Response) {
      res.json({ version: await getConfigVersion(deps, { ...call(req), number: Number(req.params.n) }) });
    },
    async create(req: Request, res: Response) {
      res.status(201).json({ version: await createConfigVersion(deps, { ...call(req), input: req.body }) });
    },
    async activate(req: Request, res: Response) {
      res.json({ version: await activateConfigVersion(deps, { ...call(req), number: Number(req.params.n) }) });
    },
    async setSplit(req: Request, res: Response) {
      res.json({ split: await setConfigSplit(deps, { ...call(req), input: req.body }) });
    },
    async endSplit(req: Request, res: Response) {
      await endConfigSplit(deps, call(req));
      res.status(204).end();
    },
    async promote(req: Request, res: Response) {
      res.json({ version: await promoteSplitArm(deps, { ...call(req), version: req.body.version }) });
    },
  };
}
