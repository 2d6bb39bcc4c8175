import type { Request, Response } from 'express';
import { caller } from '../middleware/auth.js';
import { getProfile, updateProfile } from '../services/auth/profileService.js';
import { auditContext, type AppContext } from './context.js';

export function profileController({ prisma }: AppContext) {
  return {
    async get(req: Request, res: Response) {
      res.json({ user: await getProfile(prisma, caller(req).sub) });
    },
    async update(req: Request, res: Response) {
      const me = caller(req);
      res.json({ user: await updateProfile(prisma, me.sub, me.fid, req.body, auditContext(req)) });
    },
  };
}
