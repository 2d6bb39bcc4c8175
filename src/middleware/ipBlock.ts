import type { RequestHandler } from 'express';
import type { Security } from '../services/auth/security.js';
import { AppError } from '../utils/AppError.js';
import { retryAfterSeconds } from '../utils/time.js';

/** 403 IP_BLOCKED with Retry-After when `ip` is blocked; null otherwise. */
export async function ipBlockError(security: Security, ip: string | undefined): Promise<AppError | null> {
  const block = ip ? await security.ipBlocks.get(ip) : null;
  if (!block) return null;
  const retryAfter = retryAfterSeconds(Date.parse(block.expiresAt) - Date.now());
  return new AppError('IP_BLOCKED', 'This IP address is temporarily blocked', {
    headers: { 'Retry-After': retryAfter },
  });
}

/** Refuses every request from a blocked IP with 403 IP_BLOCKED until the block expires. */
export function ipBlockGuard(security: Security): RequestHandler {
  return async function ipBlockGuard(req, _res, next) {
    const error = await ipBlockError(security, req.ip);
    next(error ?? undefined);
  };
}
