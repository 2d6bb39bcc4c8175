import type { Request, Response } from 'express';
import { caller } from '../middleware/auth.js';
import { listApiKeys } from '../services/auth/apiKeyService.js';
import { getAccessibleProject } from '../services/projects/projectService.js';
import {
  getModelSettings,
  getProjectSettings,
  updateModelSettings,
  updateProjectSettings,
} from '../services/projects/settingsService.js';
import { auditContext, type AppContext } from './context.js';
import { wholeList } from '../validators/common.js';

export function settingsController({ prisma, keyCache }: AppContext) {
  const projectId = (res: Response) => String(res.locals.query.projectId);
  return {
    async getProject(req: Request, res: Response) {
      res.json({ project: await getProjectSettings(prisma, caller(req), projectId(res)) });
    },
    async updateProject(req: Request, res: Response) {
      res.json({
        project: await updateProjectSettings(
          { prisma, cache: keyCache },
          { caller: caller(req), projectId: projectId(res), input: req.body, audit: auditContext(req) },
        ),
      });
    },
    async apiKeys(req: Request, res: Response) {
      const project = await getAccessibleProject(prisma, projectId(res), caller(req));
      const data = await listApiKeys(prisma, project.id);
      res.json(wholeList(data));
    },
    async getModels(req: Request, res: Response) {
      res.json({ modelSettings: await getModelSettings(prisma, caller(req), projectId(res)) });
    },
    async updateModels(req: Request, res: Response) {
      res.json({
        modelSettings: await updateModelSettings(
          { prisma, cache: keyCache },
          { caller: caller(req), projectId: projectId(res), input: req.body, audit: auditContext(req) },
        ),
      });
    },
  };
}
