/**
 * POST /api/v1/llm/request on a direct path. This one route carries almost all of the traffic,
 * and Express's per-request machinery (a dozen middleware layers, each setting headers one by
 * one, body-parser's stream plumbing, res.json) cost more CPU than the ingestion itself. Here
 * the same steps run in the same order as the Express route, and answer with the same status
 * codes, headers and JSON bodies. POST /api/v1/llm/check (the SDK's pre-flight check) takes the
 * same path since 2026-12-06, for its large bodies: a 3 MB body is decoded and parsed in turns
 * of its own and a megabyte answer written in pieces, where Express parsed four such bodies
 * arriving together in one turn (`/healthz` waited up to 199 ms):
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
import type { Express } from 'express';
import { API_PREFIX } from '../config/constants.js';
import type { AppContext } from '../controllers/context.js';
import { errorBody, logFailure } from '../middleware/errorHandler.js';
import { toAppError } from '../services/appErrors.js';
import { logRequestLine } from '../middleware/httpLogger.js';
import { requestIdFor } from '../middleware/requestId.js';
import { observeHttp } from '../observability/metrics.js';
import { checkLlmCall, ingestLlmRequest } from '../services/ingest/ingestService.js';
import { llmCheckBody, llmRequestBody } from '../validators/ingestValidators.js';
import { type Admitted, RequestAborted, admitDirect } from './admitDirect.js';
import { type DirectPath, type DirectPathOptions, clientIpOf, directPath } from './directPath.js';
import { answerBytes, answerParts, endInPieces } from './endInPieces.js';

export const INGEST_ROUTE = `${API_PREFIX}/llm/request`;
export const CHECK_ROUTE = `${API_PREFIX}/llm/check`;

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

/** The same for POST /llm/check: the same chain up to its validation and its own handler. */
const { ingest: _ingest, ...SDK_CHAIN } = EXPRESS_CHAIN_COVERED;
export const CHECK_CHAIN_COVERED = {
  ...SDK_CHAIN,
  validateRequest: 'llmCheckBody.parse()',
  check: 'checkLlmCall(ctx.ingest)',
} as const;

/** The direct path of POST /llm/check (see the module comment). */
export function checkFastPath(app: Express, ctx: AppContext, options: DirectPathOptions): DirectPath {
  const deps = ctx.ingest;
  // its answer echoes the messages or prompt, redacted or not: always made in parts
  return sdkDirectPath(app, ctx, options, CHECK_ROUTE, 200, async (auth, body) =>
    answerParts(await checkLlmCall(deps, auth, llmCheckBody.parse(body))),
  );
}

/** The direct path of POST /llm/request as a pre-router hook. */
export function ingestFastPath(app: Express, ctx: AppContext, options: DirectPathOptions): DirectPath {
  const deps = ctx.ingest;
  return sdkDirectPath(app, ctx, options, INGEST_ROUTE, 201, async (auth, body) => {
    const result = await ingestLlmRequest(deps, auth, llmRequestBody.parse(body));
    // Only an answer carrying redacted text can run to megabytes (a chat call's: 4-5 MB); it is
    // made in parts (jsonParts), any other in one go (a quarter of the CPU for a short answer).
    return result.redactedPrompt === null ? [JSON.stringify(result)] : answerParts(result);
  });
}

/**
 * A direct path for an SDK route: the steps every API-key route runs (admitDirect), then
 * `handle` with the caller and the parsed body, answered with `okStatus` and the JSON parts it
 * gives; a failure answered as the error handler answers it.
 */
function sdkDirectPath(
  app: Express,
  ctx: AppContext,
  options: DirectPathOptions,
  route: string,
  okStatus: number,
  handle: (auth: Admitted['auth'], body: unknown) => Promise<string[]>,
): DirectPath {
  const { logger } = options;
  const staticHeaders = options.staticHeaders.flat();

  async function serve(req: IncomingMessage, res: ServerResponse, length: number): Promise<void> {
    const started = performance.now();
    const clientIp = clientIpOf(app, req);
    const id = requestIdFor(req.headers['x-request-id'] as string | undefined);
    const headers: string[] = ['X-Request-Id', id, ...staticHeaders];
    let status = okStatus;
    let payload: string[];
    let aborted = false;
    try {
      const { body, auth } = await admitDirect(ctx, req, length, clientIp, (name, value) => headers.push(name, value));
      payload = await handle(auth, body);
    } catch (err) {
      aborted = err instanceof RequestAborted;
      const appError = toAppError(aborted ? (err as RequestAborted).cause : err);
      status = appError.status;
      if (!aborted) logFailure(logger.child({ reqId: id }), err, appError, id);
      for (const [name, value] of Object.entries(appError.headers ?? {})) headers.push(name, value);
      payload = [JSON.stringify(errorBody(appError, id))];
    }
    const bytes = await answerBytes(payload);
    const finished = !aborted && !res.destroyed;
    if (finished) {
      headers.push('Content-Type', 'application/json; charset=utf-8');
      headers.push('Content-Length', String(bytes));
      res.writeHead(status, headers);
      await endInPieces(res, payload);
    } else {
      res.destroy();
    }
    observeHttp('POST', route, status, started);
    logRequestLine(logger, {
      reqId: id,
      method: 'POST',
      url: route,
      remoteAddress: clientIp(),
      userAgent: req.headers['user-agent'],
      status,
      finished,
      startedMs: started,
    });
  }

  return directPath(route, options, serve);
}
