/**
 * Express's JSON parser for a body that may be large (over 64 KiB, or chunked) on the routes that
 * take large bodies: what a direct path declines (a query string, an Origin or X-API-Version
 * header, a chunked or compressed body) and any route without one.
 *
 * `express.json()` reads the whole body in the callbacks of its socket, then decodes and parses it
 * in one go: four chunked 9 MB prompts sent with a valid key held `/healthz` 52-140 ms (the
 * server's loop delay 55-93), where the direct path's answer took 21-33. Here the body is read
 * at most 1 MiB per turn of the event loop (utils/readBudget.ts), then decoded in a turn of its
 * own and parsed in another (as routes/directPath.ts does), with body-parser's JSON rules
 * (utils/jsonBody.ts). A body sent as it is (most) is read by the direct paths' reader
 * (utils/bodyReader.ts), which copies it into one buffer as it arrives: `express.raw()` joins the
 * chunks when the body ends, 25 ms for 9 MB (its fresh pages faulted in), in the same turn of the
 * loop as the decoding that follows it. A compressed body is read by `express.raw()` (its
 * decompression, limit and errors are `express.json()`'s). A body in a charset other than UTF-8
 * goes to `express.json()` as before (`fallback`).
 */
import bytes from 'bytes';
import express, { type RequestHandler } from 'express';
import { pause } from '../domain/slices.js';
import { readBody } from '../utils/bodyReader.js';
import { decodeBody, parseJson } from '../utils/jsonBody.js';
import { bodyReadBudget, type TurnBudget } from '../utils/readBudget.js';

export interface LargeJsonBodyOptions {
  /** The body limit (express.json's syntax, e.g. "10mb"). */
  limit: string;
  /** Called with the body's bytes before it is parsed, as express.json's `verify`. */
  verify?: (req: express.Request, res: express.Response, buf: Buffer) => void;
  /** What reads a body in another charset: `express.json()` with the same options. */
  fallback: RequestHandler;
  /** The per-turn budget of bytes read (default: the one the direct paths share). */
  budget?: TurnBudget;
}

/** The charset parameter of the request's Content-Type, lower-cased ('' when none). */
function charsetOf(req: express.Request): string {
  const match = /;\s*charset\s*=\s*"?([^";\s]*)/i.exec(req.headers['content-type'] ?? '');
  return match ? match[1]!.toLowerCase() : '';
}

/** Whether the body is sent as it is: no Content-Encoding, or `identity`. */
function notCompressed(req: express.Request): boolean {
  const encoding = req.headers['content-encoding'];
  return encoding === undefined || encoding.trim().toLowerCase() === 'identity';
}

export function largeJsonBody(options: LargeJsonBodyOptions): RequestHandler {
  const raw = express.raw({ type: 'application/json', limit: options.limit, verify: options.verify });
  const limit = bytes.parse(options.limit) ?? 100 * 1024;
  const budget = options.budget ?? bodyReadBudget;
  /** Decodes and parses the body's bytes, each in a turn of the event loop of its own. */
  const parse = (req: express.Request, next: express.NextFunction, body: Buffer) => {
    void (async () => {
      await pause();
      const text = decodeBody(body);
      await pause();
      req.body = parseJson(text);
    })().then(() => next(), next);
  };
  return (req, res, next) => {
    const charset = charsetOf(req);
    if (charset !== '' && charset !== 'utf-8') {
      options.fallback(req, res, next);
      return;
    }
    if (notCompressed(req) && req.is('application/json')) {
      const declared = req.headers['content-length'];
      readBody(req, declared === undefined ? undefined : Number(declared), { limit, budget })
        .then((body) => {
          options.verify?.(req, res, body);
          parse(req, next, body);
        })
        .catch(next);
      return;
    }
    raw(req, res, (err?: unknown) => {
      if (err !== undefined || !Buffer.isBuffer(req.body)) {
        // refused (limit, decompression) or not read (no body, another type): as express.json would
        next(err);
        return;
      }
      const body: Buffer = req.body;
      req.body = undefined;
      // (express.raw has called verify)
      parse(req, next, body);
    });
    // express.raw listens to the body now when it reads one (synchronously, before any chunk can
    // come): its chunks then take their share of the turn's budget too
    if (req.listenerCount('data') > 0) req.on('data', (chunk: Buffer) => budget.take(req, chunk.length));
  };
}
