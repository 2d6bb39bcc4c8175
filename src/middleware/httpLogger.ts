/**
 * One JSON line per finished request (method, path, status, response time, request id), at
 * error for 5xx (but 503), warn for 4xx and 503, info otherwise; /healthz is not logged. `req.log` is a child
 * logger bound to the request id, created only when something logs through it: at 2,000
 * requests per second a child per request (what pino-http builds) costs more than the
 * request's own work when nothing is logged.
 */
import type { Express, RequestHandler } from 'express';
import type { Logger } from 'pino';

const CHILD = Symbol('requestLogger');

/**
 * 503 is a refusal the server chose (billing not configured, queue full, shutting down): warn.
 * When a failure underneath caused it, the error handler has already logged it with its stack.
 */
function levelFor(status: number): 'error' | 'warn' | 'info' {
  if (status >= 500 && status !== 503) return 'error';
  if (status >= 400) return 'warn';
  return 'info';
}

/** What one request line says. */
export interface RequestLine {
  reqId: string;
  method: string;
  url: string;
  remoteAddress: string | undefined;
  userAgent: string | undefined;
  status: number;
  /** false when the client went away before the response was sent */
  finished: boolean;
  startedMs: number;
}

/** Writes one request line at the level its status calls for (nothing when that level is off). */
export function logRequestLine(logger: Logger, line: RequestLine): void {
  const level = line.finished ? levelFor(line.status) : 'warn';
  if (!logger.isLevelEnabled(level)) return;
  logger[level](
    {
      reqId: line.reqId,
      req: { method: line.method, url: line.url, remoteAddress: line.remoteAddress, userAgent: line.userAgent },
      res: { statusCode: line.status },
      responseTime: Math.round(performance.now() - line.startedMs),
    },
    line.finished ? 'request completed' : 'request aborted',
  );
}

/** Installs `req.log` on the app's request prototype and returns the per-request logging middleware. */
export function httpLogger(app: Express, logger: Logger): RequestHandler {
  Object.defineProperty(app.request, 'log', {
    configurable: true,
    get(this: { id?: string; [CHILD]?: Logger }) {
      return (this[CHILD] ??= logger.child({ reqId: this.id }));
    },
  });
  return function httpLogger(req, res, next) {
    if (req.url === '/healthz') return next();
    const started = performance.now();
    res.once('close', () => {
      logRequestLine(logger, {
        reqId: req.id,
        method: req.method,
        url: req.originalUrl,
        remoteAddress: req.ip,
        userAgent: req.get('user-agent'),
        status: res.statusCode,
        finished: res.writableFinished,
        startedMs: started,
      });
    });
    next();
  };
}
