import type { Request, Response } from 'express';
import { caller } from '../middleware/auth.js';
import { archiveFlag, createFlag, listFlags, updateFlag } from '../services/flags/flagAdminService.js';
import { getAccessibleProject } from '../services/projects/projectService.js';
import { auditContext, type AppContext } from './context.js';

export function flagController({ prisma, flags }: AppContext) {
  const deps = { prisma, flags };
  return {
    async list(_req: Request, res: Response) {
      res.json(await listFlags(prisma, res.locals.query));
    },
    async create(req: Request, res: Response) {
      res.status(201).json({ flag: await createFlag(deps, auditContext(req), req.body) });
    },
    async update(req: Request, res: Response) {
      res.json({ flag: await updateFlag(deps, auditContext(req), String(req.params.key), req.body) });
    },
    async archive(req: Request, res: Response) {
      res.json({ flag: await archiveFlag(deps, auditContext(req), String(req.params.key)) });
    },
    /** GET /flags: the caller's flags, with one of their projects' lists when `projectId` is given. */
    async evaluated(_req: Request, res: Response) {
      const me = caller(_req);
      const { projectId } = res.locals.query as { projectId?: string };
      if (projectId) await getAccessibleProject(prisma, projectId, me);
      res.json({ flags: await flags.evaluateAll({ userId: me.sub, projectId: projectId ?? null }) });
    },
  };
}
