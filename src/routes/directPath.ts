/**
 * What the direct paths (ingestFastPath.ts for POST /api/v1/llm/request, gatewayFastPath.ts for
 * POST /v1/chat/completions) share: which requests they may take, the body read and parsed as
 * Express's json() would, and the steps every API-key route runs before its handler (storable
 * input -> IP block -> API key -> rate limit), with the same answers as the Express middleware.
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
import type { AppContext } from '../controllers/context.js';
import { authenticateApiKey } from '../middleware/apiKeyAuth.js';
import { ipBlockError } from '../middleware/ipBlock.js';
import { takePoint } from '../middleware/rateLimit.js';
import { assertStorableInput } from '../middleware/storableInput.js';
import { AppError } from '../utils/AppError.js';
import { pause } from '../domain/slices.js';
import { decodeBody, parseJson } from '../utils/jsonBody.js';
import { LARGE_BODY_BYTES, readBody } from '../utils/bodyReader.js';

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

/** The client went away before its body arrived: nothing to answer, nothing to log as a failure. */
export class RequestAborted extends Error {
  constructor(cause: unknown) {
    super('request aborted', { cause });
    this.name = 'RequestAborted';
  }
}

/** What the common steps established: the parsed body and the request's key. */
export interface Admitted {
  body: unknown;
  auth: Awaited<ReturnType<typeof authenticateApiKey>>;
}

/**
 * Bodies longer than LARGE_BODY_BYTES are read only for a caller with a valid key (Express's json
 * parser in app.ts does the same), and wait for a turn of their own before being decoded and parsed.
 */
export { LARGE_BODY_BYTES };

/**
 * The steps before an API-key route's handler, in the Express chain's order: JSON body
 * (express.json) -> storable input (storableInput) -> IP block (ipBlockGuard) -> API key
 * (requireApiKey) -> rate limit (rateLimit); for a body over 64 KiB the IP block and the key
 * come before the JSON (see below). Failures are thrown as the middleware would pass
 * them on (a RequestAborted when the client went away mid-body); the RateLimit-* headers are
 * handed to `header` as soon as they are known, refusal or not, as the middleware sets them.
 */
export async function admitDirect(
  ctx: Pick<AppContext, 'security' | 'keyCache'>,
  req: IncomingMessage,
  length: number,
  clientIp: () => string,
  header: (name: string, value: string) => void,
): Promise<Admitted> {
  // A large body is read, decoded and parsed only for a caller the route would serve: the IP
  // block and the API key (from the headers, cached) are checked first, so megabytes sent with a
  // wrong key are never buffered or parsed (node discards them: 9 MB with a wrong key held
  // /healthz 54-94 ms before). Express's jsonParser (app.ts) checks the key first too but the IP
  // block after parsing: a blocked address sending a malformed body with a valid key gets 403
  // here and 400 there.
  const large = length > LARGE_BODY_BYTES;
  const caller = large ? await callerOf(ctx, req, clientIp) : undefined;
  let raw: Buffer;
  try {
    raw = await readBody(req, length);
  } catch (err) {
    throw err instanceof AppError ? err : new RequestAborted(err);
  }
  // A large body is decoded in a turn of the event loop of its own, then parsed in another (a 2
  // MB body of non-ASCII text: 6-8 ms to decode, 1-3 ms to parse, on an idle core): bodies that
  // finish arriving together are not all decoded and parsed before other requests.
  if (large) await pause();
  const text = decodeBody(raw);
  if (large) await pause();
  const body = parseJson(text);
  // As the app-level storableInput middleware does for every route.
  assertStorableInput(body);
  const auth = caller ?? (await callerOf(ctx, req, clientIp));
  const point = await takePoint(ctx.security.apiKey, auth.key.apiKeyId);
  for (const [name, value] of point.headers) header(name, value);
  if (point.refused) throw point.refused;
  return { body, auth };
}

/** The IP block (ipBlockGuard), then the API key (requireApiKey): the caller, or their refusal thrown. */
async function callerOf(
  ctx: Pick<AppContext, 'security' | 'keyCache'>,
  req: IncomingMessage,
  clientIp: () => string,
): Promise<Admitted['auth']> {
  const blocked = await ipBlockError(ctx.security, clientIp());
  if (blocked) throw blocked;
  return authenticateApiKey(ctx.keyCache, req);
}

/**
 * Answers longer than this (characters) are sent in pieces of this size, each encoded and
 * written in a turn of the event loop of its own (endInPieces).
 */
export const ANSWER_PIECE_CHARS = 256 * 1024;

/**
 * Ends `res` with `payload`, a string or parts of one (jsonParts: their concatenation is the
 * answer), its headers written, Content-Length included. A long answer (a chat call's redacted
 * messages and transcript: 4-5 MB of JSON) goes in pieces with a pause between them: `res.end()`
 * of such a string held the event loop 15-35 ms (node encodes a string that long to UTF-8 in one
 * go, slowly), and the pieces 0.1 ms each, 7-9 ms in all (a 4.8 MB answer over loopback). A piece
 * never ends between the two halves of a surrogate pair, which would each be encoded alone as
 * U+FFFD (no pair spans two parts). Stops early, leaving the socket to its owner, when the client
 * is gone.
 */
export async function endInPieces(res: ServerResponse, payload: string | readonly string[]): Promise<void> {
  const parts = typeof payload === 'string' ? [payload] : payload;
  if (parts.length === 1 && parts[0]!.length <= ANSWER_PIECE_CHARS) {
    res.end(parts[0]);
    return;
  }
  let first = true;
  for (const part of parts) {
    for (let at = 0; at < part.length;) {
      let end = Math.min(at + ANSWER_PIECE_CHARS, part.length);
      const last = part.charCodeAt(end - 1);
      if (end < part.length && last >= 0xd800 && last <= 0xdbff) end--;
      if (!first) await pause();
      first = false;
      if (res.destroyed) return;
      res.write(Buffer.from(at === 0 && end === part.length ? part : part.slice(at, end), 'utf8'));
      at = end;
    }
  }
  if (!res.destroyed) res.end();
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
