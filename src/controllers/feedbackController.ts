import type { Request, Response } from 'express';
import { caller } from '../middleware/auth.js';
import {
  listAllFeedback,
  listOwnFeedback,
  setFeedbackStatus,
  submitProductFeedback,
} from '../services/feedback/productFeedbackService.js';
import { auditContext, type AppContext } from './context.js';

export function feedbackController({ prisma }: AppContext) {
  return {
    async submit(req: Request, res: Response) {
      res
        .status(201)
        .json({ feedback: await submitProductFeedback(prisma, { userId: caller(req).sub, body: req.body }) });
    },
    async listOwn(req: Request, res: Response) {
      res.json(await listOwnFeedback(prisma, { userId: caller(req).sub, query: res.locals.query }));
    },
    async listAll(_req: Request, res: Response) {
      res.json(await listAllFeedback(prisma, res.locals.query));
    },
    async setStatus(req: Request, res: Response) {
      const feedback = await setFeedbackStatus(prisma, {
        id: String(req.params.id),
        status: req.body.status,
        audit: auditContext(req),
      });
      res.json({ feedback });
    },
  };
}
