import type { Request, RequestHandler, Response } from 'express';
import { RateLimiterRes, type RateLimiterAbstract } from 'rate-limiter-flexible';
import { AppError } from '../utils/AppError.js';

function setHeaders(res: Response, limiter: RateLimiterAbstract, state: RateLimiterRes): void {
  res.setHeader('RateLimit-Limit', String(limiter.points));
  res.setHeader('RateLimit-Remaining', String(Math.max(0, state.remainingPoints)));
  res.setHeader('RateLimit-Reset', String(Math.ceil(state.msBeforeNext / 1000)));
}

export interface RateLimitOptions {
  /** Called when the request is refused (e.g. to count it as an auth failure). */
  onReject?: (req: Request) => Promise<unknown>;
}

/**
 * Consumes one point of `limiter` for the key of the request (no key: not limited).
 * Over the limit: 429 RATE_LIMITED with Retry-After and RateLimit-* headers.
 */
export function rateLimit(
  limiter: RateLimiterAbstract,
  keyOf: (req: Request) => string | undefined,
  options: RateLimitOptions = {},
): RequestHandler {
  return async (req, res, next) => {
    const key = keyOf(req);
    if (!key) return next();
    try {
      setHeaders(res, limiter, await limiter.consume(key));
      next();
    } catch (rejection) {
      if (!(rejection instanceof RateLimiterRes)) return next(rejection);
      setHeaders(res, limiter, rejection);
      await options.onReject?.(req);
      const retryAfter = String(Math.max(1, Math.ceil(rejection.msBeforeNext / 1000)));
      next(new AppError('RATE_LIMITED', 'Too many requests, slow down', { headers: { 'Retry-After': retryAfter } }));
    }
  };
}

/** Email in a login/register body, normalised, as a rate-limit key. */
export const emailKey = (req: Request): string | undefined => {
  const email = (req.body as { email?: unknown } | undefined)?.email;
  return typeof email === 'string' ? email.trim().toLowerCase() : undefined;
};

export const ipKey = (req: Request): string | undefined => req.ip;
