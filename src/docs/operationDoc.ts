/** What an entry of OPERATIONS (operations.ts) says about one operation. */
import type { z } from 'zod';
import type { ResponseName } from './responses.js';

/** `admin`: a JWT of a user with the admin role (403 otherwise); `metricsToken`: a bearer token when the server has one. */
export type Auth = 'none' | 'bearer' | 'admin' | 'apiKey' | 'apiKeyOrBearer' | 'metricsToken';

export type ErrorStatus = 400 | 401 | 403 | 404 | 409 | 413 | 415 | 429 | 500 | 502 | 503;

export interface OperationDoc {
  summary: string;
  description?: string;
  /** Defaults to the method and path: `postProjectsByIdApiKeysRotate`. */
  operationId?: string;
  /** Defaults to the first segment under /api/v1 (`operations` for other top-level routes). */
  tag?: string;
  /** `empty`: no body (204); `json`/`html`/`text`: a body without a schema. */
  success?: { status: number; body: ResponseName | 'empty' | 'json' | 'html' | 'text'; description?: string };
  /** Beyond the derived ones: 400 with a schema, 401 with auth, 404 with an id, 415 with a body, 429, 500. */
  errors?: ErrorStatus[];
  /** A body the controller checks itself instead of validate(). */
  body?: z.ZodType | 'json';
  /** When the path's AUTH_RULES entry does not say it. */
  auth?: Auth;
  headers?: readonly { name: string; description: string; required: boolean }[];
}
