import { Router } from 'express';
import type { AppDeps } from '../app.js';

/** Every /api/v1 router, mounted in one place. */
export function apiRouter(_deps: AppDeps): Router {
  const router = Router();
  return router;
}
