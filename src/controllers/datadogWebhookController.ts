import type { Request, Response } from 'express';
import { handleDatadogAlert, verifyDatadogSignature } from '../services/incidents/datadogService.js';
import type { AppContext } from './context.js';

export function datadogWebhookController({ prisma, incidentEvents }: AppContext) {
  return {
    async receive(req: Request, res: Response) {
      const projectId = String(res.locals.query.projectId);
      const raw = (req as unknown as { rawBody?: Buffer }).rawBody;
      await verifyDatadogSignature(prisma, projectId, raw, req.get('x-datadog-signature'));
      res.json(await handleDatadogAlert(prisma, incidentEvents, projectId, req.body));
    },
  };
}
