import type { Request, Response } from 'express';
import { checkGuard } from '../services/guard/guardCheckService.js';
import { getAccessibleProject } from '../services/projects/projectService.js';
import type { ProjectContext } from '../services/auth/keyCache.js';
import { AppError } from '../utils/AppError.js';
import type { GuardCheckInput } from '../validators/guardValidators.js';
import type { AppContext } from './context.js';

export function guardController(ctx: AppContext) {
  /** The key's project, or (JWT) the named project the caller may see. */
  async function projectOf(req: Request, input: GuardCheckInput): Promise<ProjectContext> {
    if (req.apiKey) {
      if (input.projectId !== undefined && input.projectId !== req.apiKey.project.projectId) {
        throw new AppError('FORBIDDEN', 'This API key belongs to another project than projectId');
      }
      return req.apiKey.project;
    }
    if (!req.auth) throw new AppError('UNAUTHORIZED', 'A valid API key or access token is required');
    if (input.projectId === undefined) {
      throw new AppError('VALIDATION_ERROR', 'projectId is required with an access token', {
        details: [{ path: 'projectId', message: 'Required', code: 'invalid_type' }],
      });
    }
    await getAccessibleProject(ctx.prisma, input.projectId, req.auth);
    const project = await ctx.keyCache.projectContext(input.projectId);
    if (!project) throw new AppError('NOT_FOUND', 'Project not found');
    return project;
  }
  return {
    async check(req: Request, res: Response) {
      const input = req.body as GuardCheckInput;
      const project = await projectOf(req, input);
      res.json(await checkGuard({ project, guard: ctx.guard, limiterFor: ctx.security.remediationLimiter, input }));
    },
  };
}
