import type { ErrorRequestHandler, RequestHandler } from 'express';
import { ZodError } from 'zod';
import { Prisma } from '../generated/prisma/client.js';
import { ThrottledLog, errorText } from '../db/backoff.js';
import { isConnectionFailure } from '../db/databaseHealth.js';
import { postgresErrorCode } from '../db/pgErrors.js';
import { AppError } from '../utils/AppError.js';
import { logger } from '../utils/logger.js';

const UNREACHABLE_KINDS = new Set([
  'DatabaseNotReachable',
  'ConnectionClosed',
  'SocketTimeout',
  'TooManyConnections',
  'DatabaseDoesNotExist',
]);
const UNREACHABLE_PRISMA_CODES = new Set(['P1001', 'P1002', 'P1008', 'P1017', 'P2024']);

/**
 * A database outage (unreachable, connection dropped, pool exhausted, server shutting down) is
 * a 503 with Retry-After — the client should retry — not a 500.
 */
export function isDatabaseUnavailable(err: unknown): boolean {
  if (err instanceof Prisma.PrismaClientInitializationError) return true;
  if (isConnectionFailure(err)) return true;
  const e = err as {
    code?: string;
    meta?: { driverAdapterError?: { cause?: { kind?: string; originalCode?: string } } };
  };
  if (err instanceof Prisma.PrismaClientKnownRequestError && UNREACHABLE_PRISMA_CODES.has(err.code)) return true;
  const cause = e?.meta?.driverAdapterError?.cause;
  if (cause?.kind && UNREACHABLE_KINDS.has(cause.kind)) return true;
  const pgCode = cause?.originalCode ?? e?.code;
  return (
    typeof pgCode === 'string' &&
    (/^08/.test(pgCode) || ['57P01', '57P02', '57P03', 'ECONNREFUSED', 'ECONNRESET'].includes(pgCode))
  );
}

/** Turns anything thrown into an AppError; unknown errors become a generic 500. */
export function toAppError(err: unknown): AppError {
  if (err instanceof AppError) return err;
  if (err instanceof ZodError) {
    return new AppError('VALIDATION_ERROR', 'Request validation failed', {
      details: err.issues.map((i) => ({ path: i.path.join('.'), message: i.message, code: i.code })),
    });
  }
  if (isDatabaseUnavailable(err)) {
    return new AppError('DATABASE_UNAVAILABLE', 'The database is unavailable, retry shortly', {
      headers: { 'Retry-After': '5' },
      cause: err,
    });
  }
  // 54xxx: the input is beyond a server limit (e.g. "tsquery stack too small" from a search of 40 dashes).
  if (/^54/.test(postgresErrorCode(err) ?? '')) {
    return new AppError('VALIDATION_ERROR', 'The request is too complex for the database', {
      details: [{ path: 'query', message: 'exceeds a database limit', code: `sqlstate_${postgresErrorCode(err)}` }],
    });
  }
  // 57014: statement_timeout (DATABASE_STATEMENT_TIMEOUT_MS) cancelled the query.
  if (postgresErrorCode(err) === '57014') {
    return new AppError('DATABASE_UNAVAILABLE', 'The database did not answer in time, retry shortly', {
      headers: { 'Retry-After': '5' },
      cause: err,
    });
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

/** The JSON error body every failure answers with (the API.md error envelope). */
export function errorBody(appError: AppError, requestId: string | undefined) {
  return {
    error: {
      code: appError.code,
      message: appError.message,
      ...(appError.details !== undefined ? { details: appError.details } : {}),
      requestId,
    },
  };
}

let outageLog: ThrottledLog | undefined;

/**
 * A 5xx the server chose to answer (an AppError with no underlying cause: billing not
 * configured, shutting down, queue full) is an expected refusal: one warn line, no stack.
 * Anything else at 5xx is logged as an error with its stack.
 */
export function logFailure(
  log: Pick<typeof logger, 'warn' | 'error'>,
  err: unknown,
  appError: AppError,
  requestId: string | undefined,
): void {
  if (appError.status < 500) return;
  if (appError.code === 'DATABASE_UNAVAILABLE') {
    // An outage fails every request: one line now, then one per interval (the access log has each request).
    outageLog ??= new ThrottledLog(logger, 'requests refused: database unavailable');
    outageLog.failure({ err: errorText(appError.cause) });
  } else if (err instanceof AppError && err.cause === undefined) {
    log.warn({ code: err.code, status: err.status, requestId }, err.message);
  } else {
    log.error({ err, requestId }, 'request failed');
  }
}

export const errorHandler: ErrorRequestHandler = (err, req, res, _next) => {
  const appError = toAppError(err);
  const log = req.log ?? logger;
  logFailure(log, err, appError, req.id);
  if (res.headersSent) {
    res.destroy();
    return;
  }
  for (const [name, value] of Object.entries(appError.headers ?? {})) res.setHeader(name, value);
  res.status(appError.status).json(errorBody(appError, req.id));
};

export const notFound: RequestHandler = (req, _res, next) => {
  next(new AppError('NOT_FOUND', `No route for ${req.method} ${req.path}`));
};
