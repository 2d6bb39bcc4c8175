import type { Request, RequestHandler } from 'express';
import type { KeyCache, ProjectContext, VerifiedKey } from '../services/keyCache.js';
import { AppError } from '../utils/AppError.js';

declare module 'express-serve-static-core' {
  interface Request {
    apiKey?: { key: VerifiedKey; project: ProjectContext };
  }
}

/** The SDK's key from `X-API-Key` or `Authorization: Bearer`. */
export function extractApiKey(req: Request): string | undefined {
  const header = req.get('x-api-key');
  if (header) return header.trim();
  const match = /^Bearer\s+(\S+)$/i.exec(req.get('authorization') ?? '');
  return match?.[1];
}

/** The request's key and project, or 401 UNAUTHORIZED (thrown). */
export async function authenticateApiKey(
  cache: KeyCache,
  req: Request,
): Promise<{ key: VerifiedKey; project: ProjectContext }> {
  const key = extractApiKey(req);
  const verified = key && key.length <= 200 ? await cache.authenticate(key) : null;
  if (!verified) throw new AppError('UNAUTHORIZED', 'A valid API key is required (X-API-Key)');
  return verified;
}

/** SDK authentication from the in-process cache (no query per request once warm). */
export function requireApiKey(cache: KeyCache): RequestHandler {
  return async (req, _res, next) => {
    req.apiKey = await authenticateApiKey(cache, req);
    next();
  };
}
