/**
 * POST /api/v1/llm/request on a direct path. This one route carries almost all of the traffic,
 * and Express's per-request machinery (a dozen middleware layers, each setting headers one by
 * one, body-parser's stream plumbing, res.json) cost more CPU than the ingestion itself. Here
 * the same steps run in the same order as the Express route, and answer with the same status
 * codes, headers and JSON bodies:
 *
 *   request id -> JSON body -> storable input -> IP block -> API key -> rate limit -> Zod
 *   validation -> ingest (EXPRESS_CHAIN_COVERED below lists the Express chain it stands for)
 *
 * The security headers are the ones helmet sets on every other response, computed once.
 * Anything this path does not handle itself goes to Express before a byte of the body is read,
 * where it gets the usual answer: a query string, an Origin header (CORS), an X-API-Version
 * header, a content type other than plain `application/json`, a compressed or chunked body,
 * or one over the body limit. The Express route stays mounted for those cases (and for the
 * OpenAPI document).
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import { StringDecoder } from 'node:string_decoder';
import bytes from 'bytes';
import type { Express, Request, RequestHandler, Response } from 'express';
import proxyaddr from 'proxy-addr';
import type { Logger } from 'pino';
import { API_PREFIX } from '../config/constants.js';
import type { AppContext } from '../controllers/context.js';
import { authenticateApiKey } from '../middleware/apiKeyAuth.js';
import { assertStorableInput } from '../middleware/storableInput.js';
import { errorBody, logFailure } from '../middleware/errorHandler.js';
import { toAppError } from '../services/appErrors.js';
import { logRequestLine } from '../middleware/httpLogger.js';
import { ipBlockError } from '../middleware/ipBlock.js';
import { takePoint } from '../middleware/rateLimit.js';
import { requestIdFor } from '../middleware/requestId.js';
import { observeHttp } from '../observability/metrics.js';
import { ingestLlmRequest } from '../services/ingest/ingestService.js';
import { AppError } from '../utils/AppError.js';
import { llmRequestBody } from '../validators/ingestValidators.js';

type TrustFunction = Exclude<Parameters<typeof proxyaddr>[1], string | number | string[]>;

export const INGEST_ROUTE = `${API_PREFIX}/llm/request`;

/**
 * The Express chain of POST /llm/request, handler by handler in its order, and what this path
 * does in its place. A test compares it with the app's actual chain: a middleware added to (or
 * moved in) the Express chain fails it until this path does the same and the entry is added.
 */
export const EXPRESS_CHAIN_COVERED = {
  requestId: 'requestIdFor(): the same id rules',
  httpMetrics: 'observeHttp() under the route pattern',
  httpLogger: 'logRequestLine(), the same access-log line',
  helmetMiddleware: "staticHeaders: helmet's headers, collected once by headersSetBy()",
  corsMiddleware: 'declined: a request with an Origin header goes to Express',
  apiVersion: 'declined: an X-API-Version header goes to Express; the answer carries X-API-Version',
  requireJson: 'declined unless the body is plain application/json with a Content-Length',
  jsonParser: "parseJson(): body-parser's strict JSON; bodies over the limit go to Express",
  storableInput: 'assertStorableInput()',
  ipBlockGuard: 'ipBlockError()',
  requireApiKey: 'authenticateApiKey()',
  rateLimit: 'takePoint()',
  validateRequest: 'llmRequestBody.parse()',
  ingest: 'ingestLlmRequest(ctx.ingest)',
} as const;

/** Content types (lower-cased, blanks removed) that body-parser's json() reads as UTF-8 as they are. */
const PLAIN_JSON = new Set(['application/json', 'application/json;charset=utf-8', 'application/json;charset="utf-8"']);
const isPlainJson = (type: string) => PLAIN_JSON.has(type.length > 64 ? '' : type.toLowerCase().replace(/\s/g, ''));
const DECIMAL = /^\d{1,12}$/;

export interface IngestFastPathOptions {
  /** The JSON body limit (same syntax as express.json's `limit`, e.g. "10mb"). */
  bodyLimit: string;
  /** Headers every API response carries, in order: the security headers and X-API-Version. */
  staticHeaders: [string, string][];
  logger: Logger;
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

/**
 * Reads the whole body (its length is known and within the limit) as UTF-8 text, decoding each
 * chunk as it arrives: decoding a 2 MB body in one piece at the end (after copying its chunks
 * together) held the event loop for as long as parsing it. The decoder carries a character
 * split between two chunks over, so the text is what decoding the whole body gives.
 */
function readBody(req: IncomingMessage, length: number): Promise<string> {
  return new Promise((resolve, reject) => {
    const decoder = new StringDecoder('utf8');
    const parts: string[] = [];
    let received = 0;
    let ended = false;
    req.on('data', (chunk: Buffer) => {
      parts.push(decoder.write(chunk));
      received += chunk.length;
    });
    req.once('end', () => {
      ended = true;
      parts.push(decoder.end());
      if (received !== length) reject(new AppError('VALIDATION_ERROR', 'Request size did not match Content-Length'));
      else resolve(parts.join(''));
    });
    req.once('error', reject);
    req.once('close', () => {
      if (!ended) reject(new Error('request aborted'));
    });
  });
}

/** body-parser's strict JSON: an object or an array (an empty body is `{}`). */
function parseJson(body: string): unknown {
  let text = body;
  if (text.charCodeAt(0) === 0xfeff) text = text.slice(1);
  if (text.length === 0) return {};
  const first = text.trimStart()[0];
  if (first === '{' || first === '[') {
    try {
      return JSON.parse(text);
    } catch {
      /* below */
    }
  }
  throw new AppError('INVALID_JSON', 'Malformed JSON body');
}

/** The hook: true when it took the request, false (having touched nothing) when Express should. */
export interface IngestFastPath {
  (req: IncomingMessage, res: ServerResponse): boolean;
  /** Requests it took (for tests and diagnostics). */
  readonly stats: { served: number };
}

/** The direct path as a pre-router hook. */
export function ingestFastPath(app: Express, ctx: AppContext, options: IngestFastPathOptions): IngestFastPath {
  const limit = bytes.parse(options.bodyLimit) ?? 100 * 1024;
  const { logger } = options;
  const staticHeaders = options.staticHeaders.flat();
  const deps = ctx.ingest;
  const { security, keyCache } = ctx;

  async function serve(req: IncomingMessage, res: ServerResponse, length: number): Promise<void> {
    const started = performance.now();
    // The request keeps node's own prototype: giving it Express's (as Express does) costs every
    // later property access on it, in node's stream code too, an inline-cache miss (7% of this
    // process's CPU under load). What this path needs from Express is req.ip, computed here
    // exactly as Express's getter does, under the app's current "trust proxy" setting.
    let ip: string | undefined;
    const clientIp = () => (ip ??= proxyaddr(req, app.get('trust proxy fn') as TrustFunction));
    const id = requestIdFor(req.headers['x-request-id'] as string | undefined);
    const headers: string[] = ['X-Request-Id', id, ...staticHeaders];
    let status = 201;
    let payload: string;
    let aborted = false;
    try {
      let body: unknown;
      try {
        body = parseJson(await readBody(req, length));
      } catch (err) {
        if (!(err instanceof AppError)) aborted = true;
        throw err;
      }
      // As the app-level storableInput middleware does for every other route.
      assertStorableInput(body);
      const blocked = await ipBlockError(security, clientIp());
      if (blocked) throw blocked;
      const auth = await authenticateApiKey(keyCache, req);
      const point = await takePoint(security.apiKey, auth.key.apiKeyId);
      for (const [name, value] of point.headers) headers.push(name, value);
      if (point.refused) throw point.refused;
      const result = await ingestLlmRequest(deps, auth, llmRequestBody.parse(body));
      payload = JSON.stringify(result);
    } catch (err) {
      const appError = toAppError(err);
      status = appError.status;
      if (!aborted) logFailure(logger.child({ reqId: id }), err, appError, id);
      for (const [name, value] of Object.entries(appError.headers ?? {})) headers.push(name, value);
      payload = JSON.stringify(errorBody(appError, id));
    }
    const finished = !aborted && !res.destroyed;
    if (finished) {
      headers.push('Content-Type', 'application/json; charset=utf-8');
      headers.push('Content-Length', String(Buffer.byteLength(payload)));
      res.writeHead(status, headers);
      res.end(payload);
    } else {
      res.destroy();
    }
    observeHttp('POST', INGEST_ROUTE, status, started);
    logRequestLine(logger, {
      reqId: id,
      method: 'POST',
      url: INGEST_ROUTE,
      remoteAddress: clientIp(),
      userAgent: req.headers['user-agent'],
      status,
      finished,
      startedMs: started,
    });
  }

  const stats = { served: 0 };
  const hook = (req: IncomingMessage, res: ServerResponse): boolean => {
    if (req.method !== 'POST' || req.url !== INGEST_ROUTE) return false;
    const h = req.headers;
    if (h.origin !== undefined || h['x-api-version'] !== undefined || h['transfer-encoding'] !== undefined)
      return false;
    const encoding = h['content-encoding'];
    if (encoding !== undefined && encoding.toLowerCase() !== 'identity') return false;
    const type = h['content-type'];
    const declared = h['content-length'];
    if (type === undefined || !isPlainJson(type) || declared === undefined || !DECIMAL.test(declared)) return false;
    const length = Number(declared);
    if (length > limit) return false;
    stats.served++;
    void serve(req, res, length).catch((err: unknown) => {
      logger.error({ err }, 'ingest fast path failed');
      res.destroy();
    });
    return true;
  };
  return Object.assign(hook, { stats });
}

/**
 * The app as node's request listener with `fast` in front: requests it declines reach Express
 * unchanged. Composing listeners is node's own hook (nothing of Express is patched); the
 * listener inherits from the app, so `listen()`, `locals`, `set()` and the router stay the app's,
 * and `listen()` serves through the listener.
 */
export function withDirectPath(app: Express, fast: (req: IncomingMessage, res: ServerResponse) => boolean): Express {
  const listener = function llmguard(req: IncomingMessage, res: ServerResponse, next?: (err?: unknown) => void) {
    if (!fast(req, res)) app(req as Request, res as Response, next ?? (() => undefined));
  };
  return Object.setPrototypeOf(listener, app) as Express;
}
