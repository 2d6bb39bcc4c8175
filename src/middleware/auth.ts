import type { Request, RequestHandler } from 'express';
import type { PrismaClient } from '../db/prisma.js';
import type { Security } from '../services/auth/security.js';
import { rateLimit } from './rateLimit.js';
import { sessionPrincipal } from '../services/auth/tokenService.js';
import { AppError } from '../utils/AppError.js';
import { verifyAccessToken, type AccessClaims } from '../utils/jwt.js';

/**
 * Dashboard authentication: a valid access JWT whose session is alive, belongs to the token's
 * `sub` and to an account that is not disabled. The role is the user's role now (from the
 * database, with the session check), not the one the token was issued with.
 */
export function requireAuth(prisma: PrismaClient): RequestHandler {
  return async (req, _res, next) => {
    const header = req.get('authorization') ?? '';
    const match = /^Bearer\s+(\S+)$/i.exec(header);
    const claims = match?.[1] ? await verifyAccessToken(match[1]) : null;
    const principal = claims ? await sessionPrincipal(prisma, claims.fid) : null;
    if (!claims || !principal || principal.userId !== claims.sub) {
      next(new AppError('UNAUTHORIZED', 'A valid access token is required'));
      return;
    }
    req.auth = { ...claims, role: principal.role };
    next();
  };
}

export function requireRole(role: 'admin'): RequestHandler {
  return (req, _res, next) => {
    next(req.auth?.role === role ? undefined : new AppError('FORBIDDEN', 'This needs the admin role'));
  };
}

/** The authenticated caller (after requireAuth). */
export function caller(req: Request): AccessClaims {
  if (!req.auth) throw new AppError('UNAUTHORIZED', 'A valid access token is required');
  return req.auth;
}

/** Dashboard routes: a valid session, then the per-user request limit. */
export function authenticated(prisma: PrismaClient, security: Security): RequestHandler[] {
  return [requireAuth(prisma), rateLimit(security.apiUser, (req) => req.auth?.sub)];
}
