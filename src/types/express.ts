/**
 * What our middleware adds to Express's request, in one place. Each field is set by the
 * middleware named beside it; a handler reads it only behind that middleware.
 */
import type { Logger } from 'pino';
import type { ProjectContext, VerifiedKey } from './project.js';
import type { AccessClaims } from '../utils/jwt.js';

declare module 'express-serve-static-core' {
  interface Request {
    /** The request id (middleware/requestId): the caller's X-Request-Id when it is sane, else a new UUID. */
    id: string;
    /** The request's logger bound to its id (middleware/httpLogger); created on first use. */
    readonly log: Logger;
    /** The dashboard user's verified access token (middleware/auth). */
    auth?: AccessClaims;
    /** The verified API key and its project (middleware/apiKeyAuth). */
    apiKey?: { key: VerifiedKey; project: ProjectContext };
  }
}
