/**
 * Express's JSON parser for a body that may be large (over 64 KiB, or chunked) on the routes that
 * take large bodies: what a direct path declines (a query string, an Origin or X-API-Version
 * header, a chunked or compressed body) and any route without one.
 *
 * `express.json()` reads the whole body in the callbacks of its socket, then decodes and parses it
 * in one go: four chunked 9 MB prompts sent with a valid key held `/healthz` 52-140 ms (the
 * server's loop delay 55-93), where the direct path's answer took 21-33. Here the body is read by
 * `express.raw()` (the same limit, decompression and errors as `express.json()`), at most 1 MiB
 * per turn of the event loop (utils/readBudget.ts), then decoded in a turn of its own and parsed
 * in another (as routes/directPath.ts does), with body-parser's JSON rules (utils/jsonBody.ts).
 * A body in a charset other than UTF-8 goes to `express.json()` as before (`fallback`).
 */
import express, { type RequestHandler } from 'express';
import { pause } from '../domain/slices.js';
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

export function largeJsonBody(options: LargeJsonBodyOptions): RequestHandler {
  const raw = express.raw({ type: 'application/json', limit: options.limit, verify: options.verify });
  const budget = options.budget ?? bodyReadBudget;
  return (req, res, next) => {
    const charset = charsetOf(req);
    if (charset !== '' && charset !== 'utf-8') {
      options.fallback(req, res, next);
      return;
    }
    raw(req, res, (err?: unknown) => {
      if (err !== undefined || !Buffer.isBuffer(req.body)) {
        // refused (limit, decompression) or not read (no body, another type): as express.json would
        next(err);
        return;
      }
      const bytes: Buffer = req.body;
      void (async () => {
        await pause();
        const text = decodeBody(bytes);
        await pause();
        req.body = parseJson(text);
      })().then(() => next(), next);
    });
    // express.raw listens to the body now when it reads one (synchronously, before any chunk can
    // come): its chunks then take their share of the turn's budget too
    if (req.listenerCount('data') > 0) req.on('data', (chunk: Buffer) => budget.take(req, chunk.length));
  };
}
