import { Router } from 'express';
import { adminController } from '../controllers/adminController.js';
import type { AppContext } from '../controllers/context.js';
import { authenticated, requireRole } from '../middleware/auth.js';
import { validate } from '../middleware/validate.js';
import { auditLogQuery, ipParam, listUsersQuery, roleBody } from '../validators/adminValidators.js';
import { refundBody } from '../validators/billingValidators.js';
import { idParam } from '../validators/common.js';
import { adminFeedbackQuery, feedbackStatusBody } from '../validators/feedbackValidators.js';
import { feedbackController } from '../controllers/feedbackController.js';
import { onboardingController } from '../controllers/onboardingController.js';
import { onboardingFunnelQuery } from '../validators/onboardingValidators.js';
import { adminUsageQuery } from '../validators/metricsValidators.js';
import { adminFlagRoutes } from './flagRoutes.js';

export function adminRoutes(ctx: AppContext): Router {
  const router = Router();
  const c = adminController(ctx);
  router.use(authenticated(ctx.prisma, ctx.security), requireRole('admin'));
  router.get('/users', validate({ query: listUsersQuery }), c.users);
  router.post('/users/:id/role', validate({ params: idParam, body: roleBody }), c.setRole);
  router.post('/users/:id/disable', validate({ params: idParam }), c.disable);
  router.post('/users/:id/enable', validate({ params: idParam }), c.enable);
  router.get('/audit-logs', validate({ query: auditLogQuery }), c.auditLogs);
  router.get('/ip-blocks', c.ipBlocks);
  router.delete('/ip-blocks/:ip', validate({ params: ipParam }), c.unblockIp);
  router.get('/usage', validate({ query: adminUsageQuery }), c.usage);
  router.post('/billing/refunds', validate({ body: refundBody }), c.refund);
  const feedback = feedbackController(ctx);
  router.get('/feedback', validate({ query: adminFeedbackQuery }), feedback.listAll);
  router.get('/onboarding-funnel', validate({ query: onboardingFunnelQuery }), onboardingController(ctx).funnel);
  router.post('/feedback/:id/status', validate({ params: idParam, body: feedbackStatusBody }), feedback.setStatus);
  router.use('/flags', adminFlagRoutes(ctx));
  return router;
}
