/**
 * For the tests of the direct paths (src/routes/directPath.ts): the same request sent to an app
 * with the direct path and to one without, and the answers compared; and a client that hangs up
 * in the middle of its body.
 */
import net from 'node:net';
import { gzipSync } from 'node:zlib';
import type { Express } from 'express';
import request from 'supertest';
import { expect } from 'vitest';
import type { Security } from '../../src/services/auth/security.js';

/** Headers whose values differ between two answers by nature (time, ids, lengths, counters). */
// Retry-After counts the seconds left in each app's own limiter window, started a few ms apart.
const VOLATILE = new Set([
  'date',
  'x-request-id',
  'content-length',
  'ratelimit-reset',
  'ratelimit-remaining',
  'retry-after',
  'etag',
]);

export type Send = (app: Express) => request.Test;

/** Status and headers (volatile values and `extraVolatile` ones masked), and `body(res)`. */
export function answerShape(res: request.Response, body: unknown, extraVolatile: string[] = []) {
  const headers = Object.fromEntries(
    Object.entries(res.headers)
      .filter(([name]) => name !== 'connection' && name !== 'keep-alive')
      .map(([name, value]) => [name, VOLATILE.has(name) || extraVolatile.includes(name) ? '*' : value]),
  );
  return { status: res.status, headers, body };
}

/**
 * `compare(send)`: sends the same request to both apps, expects equal shapes and says whether
 * the direct path (its `served` counter) took it.
 */
export function comparer(
  apps: () => { direct: Express; express: Express },
  served: () => number,
  shape: (res: request.Response) => unknown,
) {
  return async (send: Send) => {
    const before = served();
    const fast = await send(apps().direct);
    const direct = served() > before;
    const slow = await send(apps().express);
    expect(shape(fast)).toEqual(shape(slow));
    return { fast, direct };
  };
}

/**
 * Starts `app`, sends `head` (the request line and headers, with a Content-Length larger than
 * what follows) and `partial`, hangs up 50 ms later, then runs `after` on the still listening
 * server (to check it keeps serving).
 */
export async function hangUpMidBody(
  app: Express,
  head: string,
  partial: string,
  after: (server: net.Server) => Promise<void>,
): Promise<void> {
  const server = app.listen(0, '127.0.0.1');
  await new Promise((r) => server.once('listening', r));
  try {
    const { port } = server.address() as net.AddressInfo;
    await new Promise<void>((resolve, reject) => {
      const socket = net.connect(port, '127.0.0.1', () => {
        socket.write(`${head}\r\n\r\n${partial}`);
        setTimeout(() => {
          socket.destroy();
          resolve();
        }, 50);
      });
      socket.on('error', reject);
    });
    await after(server);
  } finally {
    await new Promise((r) => server.close(r));
  }
}

/**
 * Requests a direct path must leave to Express, each with the status Express answers: to
 * `route` with the auth header `auth`, a valid `body` (answered `ok`) and the body field `pad`
 * grown past the 10 MB limit.
 */
export function unusualRequests(
  route: string,
  auth: [string, string],
  body: Record<string, unknown>,
  ok: number,
  pad: string,
): [string, Send, number][] {
  const post = (app: Express) =>
    request(app)
      .post(route)
      .set(...auth);
  return [
    ['an Origin header (CORS)', (app) => post(app).set('Origin', 'https://app.example.com').send(body), ok],
    ['an X-API-Version header', (app) => post(app).set('X-API-Version', '2').send(body), 400],
    ['another content type', (app) => post(app).set('Content-Type', 'text/plain').send('hi'), 415],
    [
      'a charset other than UTF-8',
      (app) => post(app).set('Content-Type', 'application/json; charset=latin1').send('{}'),
      415,
    ],
    [
      'a gzip body',
      (app) =>
        post(app)
          .set('Content-Type', 'application/json')
          .set('Content-Encoding', 'gzip')
          .serialize((b: Buffer) => b as unknown as string) // the bytes as they are
          .send(gzipSync(JSON.stringify(body))),
      ok,
    ],
    [
      'a query string',
      (app) =>
        request(app)
          .post(`${route}?x=1`)
          .set(...auth)
          .send(body),
      ok,
    ],
    [
      'GET',
      (app) =>
        request(app)
          .get(route)
          .set(...auth),
      404,
    ],
    [
      'a body over the 10 MB limit',
      (app) =>
        post(app)
          .set('Content-Type', 'application/json')
          .send(JSON.stringify({ ...body, [pad]: 'x'.repeat(10 * 1024 * 1024) })),
      413,
    ],
  ];
}

/** Runs `fn` while the loopback addresses are blocked in every one of `securities`. */
export async function whileLoopbackBlocked(securities: Security[], fn: () => Promise<void>): Promise<void> {
  const ips = ['127.0.0.1', '::ffff:127.0.0.1', '::1'];
  for (const s of securities) for (const ip of ips) await s.ipBlocks.block(ip, 60, 'test');
  try {
    await fn();
  } finally {
    for (const s of securities) for (const ip of ips) await s.ipBlocks.unblock(ip);
  }
}
