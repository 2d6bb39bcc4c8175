import type { Request, Response } from 'express';
import { caller } from '../middleware/auth.js';
import { getAccessibleProject } from '../services/projects/projectService.js';
import {
  createProvider,
  deleteProvider,
  listProviders,
  revokeProviderVersion,
  rotateProviderKey,
  type ProviderStoreDeps,
} from '../services/gateway/providerStore.js';
import { wholeList } from '../validators/common.js';
import { auditContext, type AppContext } from './context.js';

/** /projects/:id/providers: the gateway's upstream providers and their write-only keys. */
export function providerController(ctx: AppContext) {
  const { prisma, keyCache } = ctx;
  const deps: ProviderStoreDeps = {
    prisma,
    invalidate: (projectId) => keyCache.invalidateProject(projectId),
    allowPrivateUpstreams: ctx.gateway.options.allowPrivateUpstreams,
  };
  const projectIdOf = async (req: Request) =>
    (await getAccessibleProject(prisma, String(req.params.id), caller(req))).id;

  return {
    async list(req: Request, res: Response) {
      res.json(wholeList(await listProviders(deps, await projectIdOf(req))));
    },
    async create(req: Request, res: Response) {
      const provider = await createProvider(deps, {
        projectId: await projectIdOf(req),
        input: req.body,
        audit: auditContext(req),
      });
      res.status(201).json({ provider });
    },
    async rotate(req: Request, res: Response) {
      const provider = await rotateProviderKey(deps, {
        projectId: await projectIdOf(req),
        providerId: String(req.params.providerId),
        apiKey: req.body.apiKey,
        revokePrevious: req.body.revokePrevious,
        audit: auditContext(req),
      });
      res.status(201).json({ provider });
    },
    async revokeVersion(req: Request, res: Response) {
      const provider = await revokeProviderVersion(deps, {
        projectId: await projectIdOf(req),
        providerId: String(req.params.providerId),
        version: Number(req.params.version),
        audit: auditContext(req),
      });
      res.json({ provider });
    },
    async remove(req: Request, res: Response) {
      await deleteProvider(deps, {
        projectId: await projectIdOf(req),
        providerId: String(req.params.providerId),
        audit: auditContext(req),
      });
      res.status(204).end();
    },
  };
}
