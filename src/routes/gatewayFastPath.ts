/**
 * POST /v1/chat/completions on a direct path, as POST /llm/request has one (ingestFastPath.ts):
 * Express's dozen middleware layers cost about half a millisecond of the time the gateway adds
 * to a call. The same steps run here in the same order as the Express route and answer with the
 * same status codes, headers and bodies (OpenAI's error shape for every refusal):
 *
 *   request id -> JSON body -> storable input -> IP block -> API key -> rate limit -> Zod
 *   validation -> the controller's serveChat (GATEWAY_CHAIN_COVERED lists the Express chain)
 *
 * The handler is the very function the Express route calls (gatewayController().serveChat); the
 * steps before it are the ones directPath.ts shares with the ingest path. The request is timed
 * and logged on the response's 'finish' and 'close' as the Express middleware do (a streamed
 * answer ends long after the handler starts writing). Requests it declines go to Express (see
 * directPath.ts), which stays mounted for them and for the OpenAPI document.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Express } from 'express';
import type { AppContext } from '../controllers/context.js';
import type { gatewayController } from '../controllers/gatewayController.js';
import { logRequestLine } from '../middleware/httpLogger.js';
import { requestIdFor } from '../middleware/requestId.js';
import { observeHttp } from '../observability/metrics.js';
import type { ChatBody } from '../services/gateway/chatGateway.js';
import { chatCompletionBody } from '../validators/gatewayValidators.js';
import { RequestAborted, admitDirect } from './admitDirect.js';
import { type DirectPath, type DirectPathOptions, clientIpOf, directPath } from './directPath.js';
import { GATEWAY_CHAT_ROUTE, sendGatewayError } from './gatewayRoutes.js';

/**
 * The Express chain of POST /v1/chat/completions, handler by handler in its order, and what
 * this path does in its place. A test compares it with the app's actual chain: a middleware
 * added to (or moved in) the Express chain fails it until this path does the same.
 */
export const GATEWAY_CHAIN_COVERED = {
  requestId: 'requestIdFor(): the same id rules',
  httpMetrics: "observeHttp() under the route pattern, on the response's 'finish'",
  httpLogger: "logRequestLine(), the same access-log line, on the response's 'close'",
  helmetMiddleware: "staticHeaders: helmet's headers, collected once by headersSetBy()",
  corsMiddleware: 'declined: a request with an Origin header goes to Express',
  apiVersion: 'declined: an X-API-Version header goes to Express; the answer carries X-API-Version',
  requireJson: 'declined unless the body is plain application/json with a Content-Length',
  jsonParser: "admitDirect(): body-parser's strict JSON; bodies over the limit go to Express",
  storableInput: 'admitDirect(): assertStorableInput()',
  ipBlockGuard: 'admitDirect(): ipBlockError()',
  requireApiKey: 'admitDirect(): authenticateApiKey()',
  rateLimit: 'admitDirect(): takePoint()',
  validateRequest: 'chatCompletionBody.parse()',
  chat: 'serveChat(), the function the Express handler calls',
} as const;

/** The direct path as a pre-router hook; `controller` is the one the Express route uses. */
export function gatewayFastPath(
  app: Express,
  ctx: AppContext,
  controller: ReturnType<typeof gatewayController>,
  options: DirectPathOptions,
): DirectPath {
  const { logger, staticHeaders } = options;

  async function serve(req: IncomingMessage, res: ServerResponse, length: number): Promise<void> {
    const started = performance.now();
    const clientIp = clientIpOf(app, req);
    const id = requestIdFor(req.headers['x-request-id'] as string | undefined);
    res.setHeader('X-Request-Id', id);
    for (const [name, value] of staticHeaders) res.setHeader(name, value);
    res.once('finish', () => observeHttp('POST', GATEWAY_CHAT_ROUTE, res.statusCode, started));
    res.once('close', () => {
      logRequestLine(logger, {
        reqId: id,
        method: 'POST',
        url: GATEWAY_CHAT_ROUTE,
        remoteAddress: clientIp(),
        userAgent: req.headers['user-agent'],
        status: res.statusCode,
        finished: res.writableFinished,
        startedMs: started,
      });
    });
    try {
      const { body, auth } = await admitDirect(ctx, req, length, clientIp, (name, value) => res.setHeader(name, value));
      await controller.serveChat(res, auth, chatCompletionBody.parse(body) as ChatBody, req.headers);
    } catch (err) {
      if (err instanceof RequestAborted) {
        res.destroy();
        return;
      }
      sendGatewayError(err, res, () => logger.child({ reqId: id }), id);
    }
  }

  return directPath(GATEWAY_CHAT_ROUTE, options, serve);
}
