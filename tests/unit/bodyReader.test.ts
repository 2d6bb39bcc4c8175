/**
 * The body reader the direct paths and Express's large-body parser share (utils/bodyReader.ts):
 * bodies of a known length and chunked ones arrive whole, a body over the limit is refused (before
 * a byte is read when its length says so), and a client that goes away gets BodyAborted.
 */
import { once } from 'node:events';
import http from 'node:http';
import net, { type AddressInfo } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { AppError } from '../../src/utils/AppError.js';
import { BodyAborted, LARGE_BODY_BYTES, readBody, type ReadBodyOptions } from '../../src/utils/bodyReader.js';

let server: http.Server | undefined;
afterEach(() => {
  server?.close();
  server?.closeAllConnections();
  server = undefined;
});

interface Outcome {
  body?: Buffer;
  err?: unknown;
  /** bytes the request's socket had read when the outcome was known */
  socketRead: number;
}

/** A server that reads each request's body with `options` and answers 200 or the error's status. */
async function reader(options: ReadBodyOptions): Promise<{ port: number; outcomes: Outcome[] }> {
  const outcomes: Outcome[] = [];
  server = http.createServer((req, res) => {
    const declared = req.headers['content-length'];
    readBody(req, declared === undefined ? undefined : Number(declared), options).then(
      (body) => {
        outcomes.push({ body, socketRead: req.socket.bytesRead });
        res.end('ok');
      },
      (err: unknown) => {
        outcomes.push({ err, socketRead: req.socket.bytesRead });
        res.statusCode = (err as { status?: number }).status ?? 500;
        res.end();
      },
    );
  });
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  return { port: (server.address() as AddressInfo).port, outcomes };
}

/** Sends `body` in chunks of `chunkBytes` (chunked when `length` is undefined); resolves with the status. */
function send(port: number, body: Buffer, chunkBytes: number, headers: http.OutgoingHttpHeaders = {}): Promise<number> {
  return new Promise((resolve, reject) => {
    const req = http.request({ port, host: '127.0.0.1', method: 'POST', path: '/', headers }, (res) => {
      res.resume();
      resolve(res.statusCode!);
    });
    req.on('error', reject);
    // a refused body's socket may be reset while the rest of it is still being written
    req.on('socket', (socket) => socket.on('error', () => {}));
    for (let at = 0; at < body.length; at += chunkBytes) req.write(body.subarray(at, at + chunkBytes));
    req.end();
  });
}

const bytesOf = (n: number) => Buffer.from(Array.from({ length: n }, (_, i) => 97 + (i % 26)));

describe('readBody', () => {
  it('should read a body of a known length whole, small or large', async () => {
    const { port, outcomes } = await reader({ limit: 1024 * 1024 });
    for (const size of [10, LARGE_BODY_BYTES + 1, 900 * 1024]) {
      const body = bytesOf(size);
      expect(await send(port, body, 16 * 1024, { 'content-length': size })).toBe(200);
      expect(outcomes.at(-1)!.body!.equals(body)).toBe(true);
    }
  });

  it('should read a chunked body whole, small, large within the limit, and without a limit', async () => {
    for (const [limit, sizes] of [
      [1024 * 1024, [10, LARGE_BODY_BYTES - 1, LARGE_BODY_BYTES + 1, 1024 * 1024]],
      [undefined, [300 * 1024, 3 * 1024 * 1024]],
    ] as const) {
      const { port, outcomes } = await reader(limit === undefined ? {} : { limit });
      for (const size of sizes) {
        const body = bytesOf(size);
        expect(await send(port, body, 7 * 1024)).toBe(200);
        const read = outcomes.at(-1)!.body!;
        expect(read.length).toBe(size);
        expect(read.equals(body)).toBe(true);
      }
      server!.close();
      server!.closeAllConnections();
    }
  });

  it('should refuse a body whose length is over the limit before reading it', async () => {
    const { port, outcomes } = await reader({ limit: 100 * 1024 });
    const body = bytesOf(2 * 1024 * 1024);
    expect(await send(port, body, 256 * 1024, { 'content-length': body.length }).catch(() => 413)).toBe(413);
    const { err, socketRead } = outcomes[0]!;
    expect(err).toBeInstanceOf(AppError);
    expect((err as AppError).code).toBe('PAYLOAD_TOO_LARGE');
    // the headers and what came with them, not the 2 MB
    expect(socketRead).toBeLessThan(512 * 1024);
  });

  it('should stop reading a chunked body once it passes the limit', async () => {
    const { port, outcomes } = await reader({ limit: 200 * 1024 });
    const body = bytesOf(4 * 1024 * 1024);
    expect(await send(port, body, 64 * 1024).catch(() => 413)).toBe(413);
    const { err, socketRead } = outcomes[0]!;
    expect((err as AppError).code).toBe('PAYLOAD_TOO_LARGE');
    expect(socketRead).toBeLessThan(2 * 1024 * 1024);
  });

  it('should reject with BodyAborted (status 400) when the client goes away mid-body', async () => {
    const { port, outcomes } = await reader({ limit: 1024 * 1024 });
    const socket = net.connect(port, '127.0.0.1');
    socket.on('error', () => {});
    await once(socket, 'connect');
    socket.write('POST / HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: 500000\r\n\r\n');
    socket.write(bytesOf(100_000));
    await new Promise((r) => setTimeout(r, 100));
    socket.destroy();
    await expect.poll(() => outcomes.length).toBe(1);
    const err = outcomes[0]!.err;
    expect(err).toBeInstanceOf(BodyAborted);
    expect((err as BodyAborted).status).toBe(400);
  });
});
