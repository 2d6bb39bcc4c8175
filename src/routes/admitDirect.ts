/**
 * The steps every direct path (directPath.ts) runs before its handler, with the Express
 * middleware's answers: the body read and parsed as express.json() would, storable input, IP
 * block, API key and rate limit. A body over LARGE_BODY_BYTES is read only for a caller with a
 * valid key (Express's json parser in app.ts does the same), and waits for a turn of its own
 * before being decoded and parsed.
 */
import type { IncomingMessage } from 'node:http';
import type { AppContext } from '../controllers/context.js';
import { pause } from '../domain/slices.js';
import { authenticateApiKey } from '../middleware/apiKeyAuth.js';
import { ipBlockError } from '../middleware/ipBlock.js';
import { takePoint } from '../middleware/rateLimit.js';
import { assertStorableInput } from '../middleware/storableInput.js';
import { AppError } from '../utils/AppError.js';
import { LARGE_BODY_BYTES, readBody } from '../utils/bodyReader.js';
import { decodeBody, parseJson } from '../utils/jsonBody.js';

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
