import type { RequestHandler } from 'express';
import type { Security } from '../services/security.js';
import { AppError } from '../utils/AppError.js';

/** Refuses every request from a blocked IP with 403 IP_BLOCKED until the block expires. */
export function ipBlockGuard(security: Security): RequestHandler {
  return async (req, res, next) => {
    const block = req.ip ? await security.ipBlocks.get(req.ip) : null;
    if (!block) return next();
    const retryAfter = Math.max(1, Math.ceil((Date.parse(block.expiresAt) - Date.now()) / 1000));
    next(
      new AppError('IP_BLOCKED', 'This IP address is temporarily blocked', {
        headers: { 'Retry-After': String(retryAfter) },
      }),
    );
    void res;
  };
}
