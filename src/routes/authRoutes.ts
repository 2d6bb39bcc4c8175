import { Router, type Request } from 'express';
import { authController, authFailureRecorder } from '../controllers/authController.js';
import type { AppContext } from '../controllers/context.js';
import { requireAuth } from '../middleware/auth.js';
import { countFailures, emailIpKey, emailKey, ipKey, rateLimit, refuseWhenSpent } from '../middleware/rateLimit.js';
import { LoginFailure, hasLoggedInFrom } from '../services/auth/authService.js';
import { validate } from '../middleware/validate.js';
import { loginBody, mfaCodeBody, refreshBody, registerBody } from '../validators/authValidators.js';

export function authRoutes(ctx: AppContext): Router {
  const router = Router();
  const c = authController(ctx);
  const { security } = ctx;
  // A refused (rate-limited) attempt is itself a sign of brute force.
  const countRejection = { onReject: authFailureRecorder(ctx) };
  const perIp = rateLimit(security.authIp, ipKey, countRejection);
  // Login: a tight limit per email from one IP, and a high one on failures per email from all
  // IPs past which only IPs the user logged in from before may try (no lock-out by strangers).
  const perEmailAndIp = rateLimit(security.authEmail, emailIpKey, countRejection);
  const knownIp = (req: Request) => hasLoggedInFrom(ctx.prisma, emailKey(req) ?? '', req.ip);
  const emailFailures = refuseWhenSpent(security.authEmailFailures, emailKey, knownIp, countRejection);
  const countEmailFailure = countFailures(security.authEmailFailures, emailKey, (err) => err instanceof LoginFailure);

  router.post('/register', perIp, validate({ body: registerBody }), c.register);
  router.post('/login', perIp, perEmailAndIp, emailFailures, validate({ body: loginBody }), c.login, countEmailFailure);
  router.post('/refresh-token', perIp, validate({ body: refreshBody }), c.refresh);
  router.post('/logout', validate({ body: refreshBody }), c.logout);

  const authed = requireAuth(ctx.prisma);
  router.post('/mfa/setup', authed, c.mfaSetup);
  router.post('/mfa/enable', authed, validate({ body: mfaCodeBody }), c.mfaEnable);
  router.post('/mfa/disable', authed, validate({ body: mfaCodeBody }), c.mfaDisable);
  return router;
}
