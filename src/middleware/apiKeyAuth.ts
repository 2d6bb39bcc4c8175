import type { IncomingHttpHeaders } from 'node:http';
import type { RequestHandler } from 'express';
import type { KeyCache, ProjectContext, VerifiedKey } from '../services/auth/keyCache.js';
import { AppError } from '../utils/AppError.js';

/**
 * The SDK's key from `X-API-Key` or `Authorization: Bearer`. Takes any request (Express's or
 * node's own): only its headers are read.
 */
export function extractApiKey(req: { headers: IncomingHttpHeaders }): string | undefined {
  const header = req.headers['x-api-key'];
  if (typeof header === 'string' && header) return header.trim();
  const match = /^Bearer\s+(\S+)$/i.exec(req.headers.authorization ?? '');
  return match?.[1];
}

/** The request's key and project, or 401 UNAUTHORIZED (thrown). */
export async function authenticateApiKey(
  cache: KeyCache,
  req: { headers: IncomingHttpHeaders },
): Promise<{ key: VerifiedKey; project: ProjectContext }> {
  const key = extractApiKey(req);
  const verified = key && key.length <= 200 ? await cache.authenticate(key) : null;
  if (!verified) throw new AppError('UNAUTHORIZED', 'A valid API key is required (X-API-Key)');
  return verified;
}

/** SDK authentication from the in-process cache (no query per request once warm). */
export function requireApiKey(cache: KeyCache): RequestHandler {
  return async function requireApiKey(req, _res, next) {
    req.apiKey = await authenticateApiKey(cache, req);
    next();
  };
}
