import type { RequestHandler } from 'express';
import type { z } from 'zod';

export interface RequestSchemas {
  body?: z.ZodType;
  query?: z.ZodType;
  params?: z.ZodType;
}

const SCHEMAS = Symbol('requestSchemas');

/**
 * Validates and replaces body/query/params with the parsed values; a failure reaches the
 * error handler as a ZodError (400 VALIDATION_ERROR with the field issues).
 * Express 5's req.query is a getter, so the parsed query is stored on res.locals.query.
 * The schemas stay readable on the middleware (requestSchemasOf) so that the OpenAPI
 * document is built from the very schemas each route validates with.
 */
export function validate(schemas: RequestSchemas): RequestHandler {
  const validateRequest: RequestHandler = (req, res, next) => {
    if (schemas.params) req.params = schemas.params.parse(req.params) as typeof req.params;
    if (schemas.query) res.locals.query = schemas.query.parse(req.query);
    if (schemas.body) req.body = schemas.body.parse(req.body ?? {});
    next();
  };
  Object.defineProperty(validateRequest, SCHEMAS, { value: schemas, enumerable: false });
  return validateRequest;
}

/** The schemas of a middleware made by validate(); undefined for any other function. */
export function requestSchemasOf(handler: unknown): RequestSchemas | undefined {
  return typeof handler === 'function' ? (handler as { [SCHEMAS]?: RequestSchemas })[SCHEMAS] : undefined;
}
