import type { Request, Response } from 'express';
import { noteIncidentViewed } from '../services/onboarding/onboardingService.js';
import { caller } from '../middleware/auth.js';
import { listDeliveries } from '../services/incidents/alertService.js';
import { relatedRequests } from '../services/incidents/incidentContext.js';
import { getAccessibleIncident, listIncidents, resolveIncident } from '../services/incidents/incidentService.js';
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
      const incident = await getAccessibleIncident(prisma, id(req), caller(req));
      const [requests, remediations] = await Promise.all([
        relatedRequests(prisma, incident, 20),
        prisma.remediationAction.findMany({ where: { incidentId: incident.id }, orderBy: { createdAt: 'desc' } }),
      ]);
      await noteIncidentViewed(prisma, { incidentId: incident.id, audit: auditContext(req) });
      res.json({ incident: { ...incident, relatedRequests: requests, remediations } });
    },
    async resolve(req: Request, res: Response) {
      res.json({
        incident: await resolveIncident(
          prisma,
          incidentEvents,
          caller(req),
          id(req),
          req.body?.note,
          auditContext(req),
        ),
      });
    },
    async rca(req: Request, res: Response) {
      const incident = await getAccessibleIncident(prisma, id(req), caller(req));
      res.json({ incident: await regenerateRca(prisma, incident.id, { logger: ctx.logger, openai: ctx.openai }) });
    },
    async applyRemediation(req: Request, res: Response) {
      const remediation = await applyRemediation(prisma, keyCache, caller(req), id(req), req.body, auditContext(req));
      res.status(201).json({ remediation });
    },
    async remediations(req: Request, res: Response) {
      res.json(await listRemediations(prisma, caller(req), id(req)));
    },
    async revert(req: Request, res: Response) {
      const remediation = await revertRemediation(
        prisma,
        keyCache,
        caller(req),
        id(req),
        String(req.params.rid),
        auditContext(req),
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
