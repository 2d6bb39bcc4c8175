import type { Request, Response } from 'express';
import { unblockIp } from '../services/auth/ipBlockService.js';
import { listAuditLogs, listUsers, setDisabled, setRole } from '../services/ops/adminService.js';
import { getAdminUsage } from '../services/analytics/metricsService.js';
import { refundInvoice } from '../services/billing/billingService.js';
import { auditContext, type AppContext } from './context.js';
import { wholeList } from '../validators/common.js';

export function adminController({ prisma, reads, security, billing, quotaService }: AppContext) {
  return {
    async users(_req: Request, res: Response) {
      res.json(await listUsers(prisma, res.locals.query));
    },
    async usage(_req: Request, res: Response) {
      res.json(await getAdminUsage(prisma, res.locals.query, reads));
    },
    async setRole(req: Request, res: Response) {
      res.json({ user: await setRole(prisma, String(req.params.id), req.body.role, auditContext(req)) });
    },
    async disable(req: Request, res: Response) {
      res.json({ user: await setDisabled(prisma, String(req.params.id), true, auditContext(req)) });
    },
    async enable(req: Request, res: Response) {
      res.json({ user: await setDisabled(prisma, String(req.params.id), false, auditContext(req)) });
    },
    async auditLogs(_req: Request, res: Response) {
      res.json(await listAuditLogs(prisma, res.locals.query));
    },
    async ipBlocks(_req: Request, res: Response) {
      const data = await security.ipBlocks.list();
      res.json(wholeList(data));
    },
    async unblockIp(req: Request, res: Response) {
      await unblockIp({ prisma, security }, { ip: String(req.params.ip), audit: auditContext(req) });
      res.status(204).end();
    },
    async refund(req: Request, res: Response) {
      const refund = await refundInvoice({ prisma, billing, quota: quotaService }, req.body, auditContext(req));
      res.status(201).json({ refund });
    },
  };
}
