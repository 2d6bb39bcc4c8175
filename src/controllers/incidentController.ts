import type { Request, Response } from 'express';
import { caller } from '../middleware/auth.js';
import { listDeliveries } from '../services/incidents/alertService.js';
import {
  getAccessibleIncident,
  incidentDetail,
  listIncidents,
  resolveIncident,
} from '../services/incidents/incidentService.js';
import { regenerateRca } from '../services/incidents/rcaService.js';
import { applyRemediation, listRemediations, revertRemediation } from '../services/incidents/remediationService.js';
import { auditContext, type AppContext } from './context.js';
import { wholeList } from '../validators/common.js';

export function incidentController(ctx: AppContext) {
  const { prisma, keyCache, incidentEvents } = ctx;
  const id = (req: Request) => String(req.params.id);
  return {
    async list(req: Request, res: Response) {
      res.json(await listIncidents(prisma, caller(req), res.locals.query));
    },
    async get(req: Request, res: Response) {
      res.json({
        incident: await incidentDetail(prisma, { caller: caller(req), id: id(req), audit: auditContext(req) }),
      });
    },
    async resolve(req: Request, res: Response) {
      res.json({
        incident: await resolveIncident(
          { prisma, events: incidentEvents },
          { caller: caller(req), id: id(req), note: req.body?.note, audit: auditContext(req) },
        ),
      });
    },
    async rca(req: Request, res: Response) {
      const incident = await getAccessibleIncident(prisma, id(req), caller(req));
      res.json({ incident: await regenerateRca(prisma, incident, { logger: ctx.logger, openai: ctx.openai }) });
    },
    async applyRemediation(req: Request, res: Response) {
      const remediation = await applyRemediation(
        { prisma, cache: keyCache },
        { caller: caller(req), incidentId: id(req), input: req.body, audit: auditContext(req) },
      );
      res.status(201).json({ remediation });
    },
    async remediations(req: Request, res: Response) {
      res.json(await listRemediations(prisma, caller(req), id(req)));
    },
    async revert(req: Request, res: Response) {
      const remediation = await revertRemediation(
        { prisma, cache: keyCache },
        { caller: caller(req), incidentId: id(req), remediationId: String(req.params.rid), audit: auditContext(req) },
      );
      res.json({ remediation });
    },
    async alerts(req: Request, res: Response) {
      const incident = await getAccessibleIncident(prisma, id(req), caller(req));
      const data = await listDeliveries(prisma, incident.id);
      res.json(wholeList(data));
    },
  };
}
