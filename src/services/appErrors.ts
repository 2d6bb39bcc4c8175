/**
 * Anything thrown, as the AppError the API answers with: validation, database outages (503
 * with Retry-After), database limits (400), Prisma's not-found and conflict, body-parser's
 * refusals; everything else a generic 500. Used by the error middleware, the ingest fast path
 * and the gateway (which renders the same AppError in OpenAI's error shape).
 */
import { ZodError } from 'zod';
import { Prisma } from '../generated/prisma/client.js';
import { isDatabaseUnavailable } from '../db/databaseHealth.js';
import { postgresErrorCode } from '../db/pgErrors.js';
import { AppError } from '../utils/AppError.js';

/** The database is away or did not answer in time: a 503 the client may retry (never a 500). */
export function databaseUnavailable(cause: unknown, message = 'The database is unavailable, retry shortly'): AppError {
  return new AppError('DATABASE_UNAVAILABLE', message, { headers: { 'Retry-After': '5' }, cause });
}

export function toAppError(err: unknown): AppError {
  if (err instanceof AppError) return err;
  if (err instanceof ZodError) {
    return new AppError('VALIDATION_ERROR', 'Request validation failed', {
      details: err.issues.map((i) => ({ path: i.path.join('.'), message: i.message, code: i.code })),
    });
  }
  if (isDatabaseUnavailable(err)) return databaseUnavailable(err);
  // 54xxx: the input is beyond a server limit (e.g. "tsquery stack too small" from a search of 40 dashes).
  if (/^54/.test(postgresErrorCode(err) ?? '')) {
    return new AppError('VALIDATION_ERROR', 'The request is too complex for the database', {
      details: [{ path: 'query', message: 'exceeds a database limit', code: `sqlstate_${postgresErrorCode(err)}` }],
    });
  }
  // 57014: statement_timeout (DATABASE_STATEMENT_TIMEOUT_MS) cancelled the query.
  if (postgresErrorCode(err) === '57014') {
    return databaseUnavailable(err, 'The database did not answer in time, retry shortly');
  }
  if (err instanceof Prisma.PrismaClientKnownRequestError) {
    if (err.code === 'P2025') return AppError.notFound();
    if (err.code === 'P2002') return new AppError('CONFLICT', 'Resource already exists');
  }
  // Errors raised by body-parser / http-errors carry a `type` and a `status`.
  const e = err as { type?: string; status?: number; statusCode?: number };
  if (e?.type === 'entity.parse.failed') return new AppError('INVALID_JSON', 'Malformed JSON body');
  if (e?.type === 'entity.too.large') return new AppError('PAYLOAD_TOO_LARGE', 'Request body is too large');
  if (e?.type === 'encoding.unsupported' || e?.type === 'charset.unsupported') {
    return new AppError('UNSUPPORTED_MEDIA_TYPE', 'Unsupported body encoding');
  }
  const status = e?.status ?? e?.statusCode;
  if (status === 400 || status === 413 || status === 415) {
    const code = status === 400 ? 'VALIDATION_ERROR' : status === 413 ? 'PAYLOAD_TOO_LARGE' : 'UNSUPPORTED_MEDIA_TYPE';
    return new AppError(code, 'Bad request');
  }
  return new AppError('INTERNAL_ERROR', 'Internal server error', { cause: err });
}
