/**
 * What the direct paths (ingestFastPath.ts for POST /api/v1/llm/request, gatewayFastPath.ts for
 * POST /v1/chat/completions) share: which requests they may take, and the hook in front of
 * Express. The steps before their handlers (the body read and parsed as Express's json() would,
 * storable input -> IP block -> API key -> rate limit, with the same answers as the Express
 * middleware) are in admitDirect.ts, the answer written in pieces in endInPieces.ts.
 *
 * A direct path takes only plain requests: anything it does not handle itself goes to Express
 * before a byte of the body is read, where it gets the usual answer: a query string, an Origin
 * header (CORS), an X-API-Version header, a content type other than plain `application/json`,
 * a compressed or chunked body, or one over the body limit.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import bytes from 'bytes';
import type { Express, Request, RequestHandler, Response } from 'express';
import proxyaddr from 'proxy-addr';
import type { Logger } from 'pino';

type TrustFunction = Exclude<Parameters<typeof proxyaddr>[1], string | number | string[]>;

export interface DirectPathOptions {
  /** The JSON body limit (same syntax as express.json's `limit`, e.g. "10mb"). */
  bodyLimit: string;
  /** Headers every API response carries, in order: the security headers and X-API-Version. */
  staticHeaders: [string, string][];
  logger: Logger;
}

/** The hook: true when it took the request, false (having touched nothing) when Express should. */
export interface DirectPath {
  (req: IncomingMessage, res: ServerResponse): boolean;
  /** Requests it took (for tests and diagnostics). */
  readonly stats: { served: number };
}

/** The headers a middleware that only sets headers (helmet) sets, collected once. */
export function headersSetBy(middleware: RequestHandler): [string, string][] {
  const headers = new Map<string, [string, string]>();
  const res = {
    setHeader(name: string, value: unknown) {
      headers.set(name.toLowerCase(), [name, String(value)]);
      return res;
    },
    removeHeader(name: string) {
      headers.delete(name.toLowerCase());
    },
    locals: {},
  };
  let called = false;
  void middleware({ headers: {}, method: 'POST' } as Request, res as unknown as Response, () => {
    called = true;
  });
  if (!called) throw new Error('headersSetBy: the middleware did not call next() synchronously');
  return [...headers.values()];
}

/** Content types (lower-cased, blanks removed) that body-parser's json() reads as UTF-8 as they are. */
const PLAIN_JSON = new Set(['application/json', 'application/json;charset=utf-8', 'application/json;charset="utf-8"']);
const isPlainJson = (type: string) => PLAIN_JSON.has(type.length > 64 ? '' : type.toLowerCase().replace(/\s/g, ''));
const DECIMAL = /^\d{1,12}$/;

/**
 * The body length of a POST to exactly `route` that a direct path may take, or -1 when Express
 * should answer it (see the list at the top of this file).
 */
export function directBodyLength(req: IncomingMessage, route: string, limit: number): number {
  if (req.method !== 'POST' || req.url !== route) return -1;
  const h = req.headers;
  if (h.origin !== undefined || h['x-api-version'] !== undefined || h['transfer-encoding'] !== undefined) return -1;
  const encoding = h['content-encoding'];
  if (encoding !== undefined && encoding.toLowerCase() !== 'identity') return -1;
  const type = h['content-type'];
  const declared = h['content-length'];
  if (type === undefined || !isPlainJson(type) || declared === undefined || !DECIMAL.test(declared)) return -1;
  const length = Number(declared);
  return length > limit ? -1 : length;
}

/**
 * The hook of a direct path for POSTs to exactly `route`: `serve` takes the requests
 * directBodyLength() lets through (with their body length), Express the others.
 */
export function directPath(
  route: string,
  options: DirectPathOptions,
  serve: (req: IncomingMessage, res: ServerResponse, length: number) => Promise<void>,
): DirectPath {
  const limit = bytes.parse(options.bodyLimit) ?? 100 * 1024;
  const stats = { served: 0 };
  const hook = (req: IncomingMessage, res: ServerResponse): boolean => {
    const length = directBodyLength(req, route, limit);
    if (length < 0) return false;
    stats.served++;
    void serve(req, res, length).catch((err: unknown) => {
      options.logger.error({ err, route }, 'direct path failed');
      res.destroy();
    });
    return true;
  };
  return Object.assign(hook, { stats });
}

/**
 * req.ip exactly as Express's getter computes it, under the app's current "trust proxy"
 * setting. The request keeps node's own prototype: giving it Express's (as Express does) costs
 * every later property access on it, in node's stream code too, an inline-cache miss (7% of the
 * process's CPU under load).
 */
export function clientIpOf(app: Express, req: IncomingMessage): () => string {
  let ip: string | undefined;
  return () => (ip ??= proxyaddr(req, app.get('trust proxy fn') as TrustFunction));
}

/**
 * The app as node's request listener with the direct paths in front: requests they all decline
 * reach Express unchanged. Composing listeners is node's own hook (nothing of Express is
 * patched); the listener inherits from the app, so `listen()`, `locals`, `set()` and the router
 * stay the app's, and `listen()` serves through the listener.
 */
export function withDirectPath(
  app: Express,
  ...paths: ((req: IncomingMessage, res: ServerResponse) => boolean)[]
): Express {
  const listener = function llmguard(req: IncomingMessage, res: ServerResponse, next?: (err?: unknown) => void) {
    for (const path of paths) if (path(req, res)) return;
    app(req as Request, res as Response, next ?? (() => undefined));
  };
  return Object.setPrototypeOf(listener, app) as Express;
}
