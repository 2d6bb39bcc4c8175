import type { Request, Response } from 'express';
import { recordAuthFailure } from '../services/auth/ipBlockService.js';
import * as auth from '../services/auth/authService.js';
import { disableMfa, enableMfa, setupMfa } from '../services/auth/mfaService.js';
import { AppError } from '../utils/AppError.js';
import { caller } from '../middleware/auth.js';
import { auditContext, type AppContext } from './context.js';

/** Counts an authentication failure against the caller's IP; audit-logs the block it may cause. */
export function authFailureRecorder({ prisma, security }: AppContext) {
  return async (req: Request): Promise<void> => {
    if (req.ip) await recordAuthFailure({ prisma, security }, { ip: req.ip, audit: auditContext(req) });
  };
}

export function authController(ctx: AppContext) {
  const { prisma } = ctx;
  const recordFailure = authFailureRecorder(ctx);
  const countFailure = async (req: Request, err: unknown) => {
    if (err instanceof AppError && err.status === 401) await recordFailure(req);
  };

  return {
    async register(req: Request, res: Response) {
      res.status(201).json(await auth.register(prisma, req.body, auditContext(req)));
    },
    async login(req: Request, res: Response) {
      try {
        res.json(await auth.login(prisma, req.body, auditContext(req)));
      } catch (err) {
        if (err instanceof auth.LoginFailure) await countFailure(req, err);
        throw err;
      }
    },
    async refresh(req: Request, res: Response) {
      try {
        res.json(await auth.refresh(prisma, req.body.refreshToken, auditContext(req)));
      } catch (err) {
        await countFailure(req, err);
        throw err;
      }
    },
    async logout(req: Request, res: Response) {
      await auth.logout(prisma, req.body.refreshToken, auditContext(req));
      res.status(204).end();
    },
    async mfaSetup(req: Request, res: Response) {
      res.json(await setupMfa(prisma, caller(req).sub));
    },
    async mfaEnable(req: Request, res: Response) {
      res.json(await enableMfa(prisma, caller(req).sub, req.body.code, auditContext(req)));
    },
    async mfaDisable(req: Request, res: Response) {
      await disableMfa(prisma, caller(req).sub, req.body.code, auditContext(req));
      res.status(204).end();
    },
  };
}
