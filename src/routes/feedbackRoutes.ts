import { Router } from 'express';
import type { AppContext } from '../controllers/context.js';
import { feedbackController } from '../controllers/feedbackController.js';
import { authenticated } from '../middleware/auth.js';
import { rateLimit } from '../middleware/rateLimit.js';
import { validate } from '../middleware/validate.js';
import { ownFeedbackQuery, productFeedbackBody } from '../validators/feedbackValidators.js';

/** Product feedback of dashboard users (JWT); the admin side is under /admin/feedback. */
export function feedbackRoutes(ctx: AppContext): Router {
  const router = Router();
  const c = feedbackController(ctx);
  router.use(authenticated(ctx.prisma, ctx.security));
  // Validated first: a rejected body does not use up the author's hourly items.
  router.post(
    '/',
    validate({ body: productFeedbackBody }),
    rateLimit(ctx.security.feedback, (req) => req.auth?.sub),
    c.submit,
  );
  router.get('/', validate({ query: ownFeedbackQuery }), c.listOwn);
  return router;
}
