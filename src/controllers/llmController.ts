import type { Request, Response } from 'express';
import { checkLlmCall, ingestLlmRequest } from '../services/ingest/ingestService.js';
import { recordLlmFeedback } from '../services/feedback/llmFeedbackService.js';
import type { AppContext } from './context.js';

export function llmController(ctx: AppContext) {
  const deps = ctx.ingest;
  return {
    async ingest(req: Request, res: Response) {
      res.status(201).json(await ingestLlmRequest(deps, req.apiKey!, req.body));
    },
    async check(req: Request, res: Response) {
      res.json(await checkLlmCall(deps, req.apiKey!, req.body));
    },
    async feedback(req: Request, res: Response) {
      const feedbackDeps = {
        prisma: ctx.prisma,
        events: ctx.incidentEvents,
        metricsCache: ctx.metricsCache,
        logger: ctx.logger,
        writer: ctx.ingest.writer,
      };
      res.status(201).json(await recordLlmFeedback(feedbackDeps, req.apiKey!, req.body));
    },
    whoami(req: Request, res: Response) {
      const { key, project } = req.apiKey!;
      // Self-hosted, every account has the configured plan whatever its subscription row says.
      const plan = ctx.billing.selfHosted?.id ?? project.plan;
      res.json({ projectId: key.projectId, apiKeyId: key.apiKeyId, plan });
    },
  };
}
