import type { ErrorRequestHandler, RequestHandler } from 'express';
import { ThrottledLog, errorText } from '../db/backoff.js';
import { toAppError } from '../services/appErrors.js';
import { AppError } from '../utils/AppError.js';
import { logger } from '../utils/logger.js';

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
