import type { ServerResponse } from 'node:http';

/**
 * Ends `res` with `value` as JSON, as Express's `res.status(status).json(value)` does (same
 * Content-Type, Content-Length and bytes), on node's own response object: the /v1 gateway
 * answers the same way whether Express or its direct path took the request.
 */
export function sendJson(res: ServerResponse, status: number, value: unknown): void {
  const payload = JSON.stringify(value);
  res.statusCode = status;
  res.setHeader('Content-Type', 'application/json; charset=utf-8');
  res.setHeader('Content-Length', String(Buffer.byteLength(payload)));
  res.end(payload);
}
