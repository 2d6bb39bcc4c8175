import { Router } from 'express';
import { authController, authFailureRecorder } from '../controllers/authController.js';
import type { AppContext } from '../controllers/context.js';
import { requireAuth } from '../middleware/auth.js';
import { emailKey, ipKey, rateLimit } from '../middleware/rateLimit.js';
import { validate } from '../middleware/validate.js';
import { loginBody, mfaCodeBody, refreshBody, registerBody } from '../validators/authValidators.js';

export function authRoutes(ctx: AppContext): Router {
  const router = Router();
  const c = authController(ctx);
  const { security } = ctx;
  // A refused (rate-limited) attempt is itself a sign of brute force.
  const countRejection = { onReject: authFailureRecorder(ctx) };
  const perIp = rateLimit(security.authIp, ipKey, countRejection);
  const perEmail = rateLimit(security.authEmail, emailKey, countRejection);

  router.post('/register', perIp, validate({ body: registerBody }), c.register);
  router.post('/login', perIp, perEmail, validate({ body: loginBody }), c.login);
  router.post('/refresh-token', perIp, validate({ body: refreshBody }), c.refresh);
  router.post('/logout', validate({ body: refreshBody }), c.logout);

  const authed = requireAuth(ctx.prisma);
  router.post('/mfa/setup', authed, c.mfaSetup);
  router.post('/mfa/enable', authed, validate({ body: mfaCodeBody }), c.mfaEnable);
  router.post('/mfa/disable', authed, validate({ body: mfaCodeBody }), c.mfaDisable);
  return router;
}
