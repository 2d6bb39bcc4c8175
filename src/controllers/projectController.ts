import type { Request, Response } from 'express';
import { caller } from '../middleware/auth.js';
import { createApiKey, deleteApiKey, listApiKeys, rotateApiKey } from '../services/auth/apiKeyService.js';
import {
  createProject,
  deleteProject,
  getAccessibleProject,
  listProjects,
} from '../services/projects/projectService.js';
import { getProjectSettings } from '../services/projects/settingsService.js';
import { auditContext, type AppContext } from './context.js';
import { wholeList } from '../validators/common.js';

export function projectController({ prisma, keyCache, billing }: AppContext) {
  /** The :id project, after checking the caller may see it (404 otherwise). */
  const ownedProjectId = async (req: Request) =>
    (await getAccessibleProject(prisma, String(req.params.id), caller(req))).id;

  return {
    async list(req: Request, res: Response) {
      res.json(await listProjects(prisma, { caller: caller(req), page: res.locals.query }));
    },
    async create(req: Request, res: Response) {
      res.status(201).json(await createProject(prisma, caller(req), req.body, auditContext(req), billing));
    },
    async get(req: Request, res: Response) {
      res.json({ project: await getProjectSettings(prisma, caller(req), String(req.params.id)) });
    },
    async remove(req: Request, res: Response) {
      await deleteProject(prisma, keyCache, caller(req), String(req.params.id), auditContext(req));
      res.status(204).end();
    },
    async listKeys(req: Request, res: Response) {
      const data = await listApiKeys(prisma, await ownedProjectId(req));
      res.json(wholeList(data));
    },
    async createKey(req: Request, res: Response) {
      res
        .status(201)
        .json({ apiKey: await createApiKey(prisma, await ownedProjectId(req), req.body, auditContext(req)) });
    },
    async rotateKey(req: Request, res: Response) {
      const { apiKeyId, gracePeriodSeconds } = req.body;
      res
        .status(201)
        .json(
          await rotateApiKey(
            { db: prisma, cache: keyCache },
            { projectId: await ownedProjectId(req), apiKeyId, gracePeriodSeconds, audit: auditContext(req) },
          ),
        );
    },
    async deleteKey(req: Request, res: Response) {
      await deleteApiKey(prisma, keyCache, await ownedProjectId(req), req.body.apiKeyId, auditContext(req));
      res.status(204).end();
    },
  };
}
