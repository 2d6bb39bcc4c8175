import type { ErrorRequestHandler, Request, RequestHandler } from 'express';
import { RateLimiterRes, type RateLimiterAbstract } from 'rate-limiter-flexible';
import { AppError } from '../utils/AppError.js';
import { retryAfterSeconds } from '../utils/time.js';

/** The RateLimit-* headers of a limiter's answer, as [name, value] pairs. */
export function rateLimitHeaders(limiter: RateLimiterAbstract, state: RateLimiterRes): [string, string][] {
  return [
    ['RateLimit-Limit', String(limiter.points)],
    ['RateLimit-Remaining', String(Math.max(0, state.remainingPoints))],
    ['RateLimit-Reset', String(Math.ceil(state.msBeforeNext / 1000))],
  ];
}

/** 429 RATE_LIMITED for a refusal, with Retry-After (at least 1 s). */
export function rateLimited(rejection: RateLimiterRes): AppError {
  const retryAfter = retryAfterSeconds(rejection.msBeforeNext);
  return new AppError('RATE_LIMITED', 'Too many requests, slow down', { headers: { 'Retry-After': retryAfter } });
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
  return async function rateLimit(req, res, next) {
    const key = keyOf(req);
    if (!key) return next();
    const { headers, refused } = await takePoint(limiter, key);
    for (const [name, value] of headers) res.setHeader(name, value);
    if (!refused) return next();
    await options.onReject?.(req);
    next(refused);
  };
}

/**
 * Consumes one point of `limiter` for `key`: the RateLimit-* headers to send and, over the
 * limit, the 429 to answer with. A store failure (e.g. Redis down) is thrown.
 */
export async function takePoint(
  limiter: RateLimiterAbstract,
  key: string,
): Promise<{ headers: [string, string][]; refused: AppError | null }> {
  try {
    return { headers: rateLimitHeaders(limiter, await limiter.consume(key)), refused: null };
  } catch (rejection) {
    if (!(rejection instanceof RateLimiterRes)) throw rejection;
    return { headers: rateLimitHeaders(limiter, rejection), refused: rateLimited(rejection) };
  }
}

/** Email in a login/register body, normalised, as a rate-limit key. */
export const emailKey = (req: Request): string | undefined => {
  const email = (req.body as { email?: unknown } | undefined)?.email;
  return typeof email === 'string' ? email.trim().toLowerCase() : undefined;
};

export const ipKey = (req: Request): string | undefined => req.ip;

/** Email and IP of a login, as the key of the per email+IP limit. */
export const emailIpKey = (req: Request): string | undefined => {
  const email = emailKey(req);
  return email === undefined ? undefined : `${req.ip ?? ''}|${email}`;
};

/**
 * Refuses (429) a request whose key has used up `limiter` (consumed elsewhere, e.g. on failed
 * logins only) unless `trusted(req)` lets it through; consumes nothing itself. Used so that
 * failures from anywhere cannot lock an account's owner out: the owner's known IPs still pass.
 */
export function refuseWhenSpent(
  limiter: RateLimiterAbstract,
  keyOf: (req: Request) => string | undefined,
  trusted: (req: Request) => Promise<boolean>,
  options: RateLimitOptions = {},
): RequestHandler {
  return async (req, res, next) => {
    const key = keyOf(req);
    const state = key === undefined ? null : await limiter.get(key);
    if (!state || state.consumedPoints < limiter.points || (await trusted(req))) return next();
    for (const [name, value] of rateLimitHeaders(limiter, state)) res.setHeader(name, value);
    await options.onReject?.(req);
    next(rateLimited(state));
  };
}

/**
 * Error middleware after a handler: an error `counts(err)` accepts consumes one point of
 * `limiter` for the request's key (already spent or not), then goes on to the error handler.
 */
export function countFailures(
  limiter: RateLimiterAbstract,
  keyOf: (req: Request) => string | undefined,
  counts: (err: unknown) => boolean,
): ErrorRequestHandler {
  return async (err, req, _res, next) => {
    const key = keyOf(req);
    if (key !== undefined && counts(err)) {
      try {
        await limiter.consume(key);
      } catch (rejection) {
        if (!(rejection instanceof RateLimiterRes)) return next(rejection);
      }
    }
    next(err);
  };
}
