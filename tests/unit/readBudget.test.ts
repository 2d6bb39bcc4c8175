/**
 * The per-turn budget of body bytes (utils/readBudget.ts): large bodies arriving together are
 * read at most about BODY_BYTES_PER_TURN per turn of the event loop, and arrive whole.
 */
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { PassThrough } from 'node:stream';
import { afterEach, describe, expect, it } from 'vitest';
import { readBody } from '../../src/utils/bodyReader.js';
import { BODY_BYTES_PER_TURN, TurnBudget, bodyReadBudget } from '../../src/utils/readBudget.js';

const nextTurn = () => new Promise((r) => setImmediate(r));

describe('TurnBudget', () => {
  it('should give the direct paths one budget of a mebibyte a turn', () => {
    expect(bodyReadBudget.bytesPerTurn).toBe(BODY_BYTES_PER_TURN);
    expect(BODY_BYTES_PER_TURN).toBe(1024 * 1024);
  });

  it('should pause a stream once the turn has read its budget, and resume it in the next turn', async () => {
    const budget = new TurnBudget(100);
    const a = new PassThrough();
    const b = new PassThrough();
    a.resume();
    b.resume();
    expect(budget.take(a, 60)).toBe(false);
    expect(a.isPaused()).toBe(false);
    expect(budget.take(b, 40)).toBe(true);
    expect(budget.take(a, 1)).toBe(true);
    expect([a.isPaused(), b.isPaused()]).toEqual([true, true]);
    await nextTurn();
    expect(budget.used).toBe(0);
    expect([a.isPaused(), b.isPaused()]).toEqual([false, false]);
    expect(budget.take(a, 99)).toBe(false);
    await nextTurn();
    expect(budget.take(a, 99)).toBe(false);
  });
});

let server: http.Server | undefined;
afterEach(() => {
  server?.close();
  server = undefined;
});

/** Sends `count` bodies of `size` bytes at once from another process, as fast as it can. */
function sendFromChild(port: number, count: number, size: number) {
  const script = `
    const http = require('node:http');
    const body = Buffer.alloc(${size}, 'a');
    let left = ${count};
    for (let i = 0; i < ${count}; i++) {
      const req = http.request({ port: ${port}, host: '127.0.0.1', method: 'POST', path: '/',
        headers: { 'content-type': 'application/json', 'content-length': body.length, 'x-body': String(i) } },
        (res) => { res.resume(); res.on('end', () => { if (--left === 0) process.exit(0); }); });
      req.end(body);
    }`;
  const child = spawn(process.execPath, ['-e', script], { stdio: 'inherit' });
  return once(child, 'exit');
}

describe('readBody under several large bodies at once', () => {
  /**
   * A budget smaller than the default: the megabytes waiting in four sockets after 300 ms are
   * about 800 KB here (the kernel's buffers), all read in the first turn without a budget.
   */
  const BUDGET = 128 * 1024;

  it('should read at most about its budget per turn of the event loop, and every body whole', async () => {
    const COUNT = 4;
    const SIZE = 6 * 1024 * 1024;
    let sinceTurn = 0;
    let mostInOneTurn = 0;
    let reading = true;
    const budget = new TurnBudget(BUDGET);
    const turn = () => {
      mostInOneTurn = Math.max(mostInOneTurn, sinceTurn);
      sinceTurn = 0;
      if (reading) setImmediate(turn);
    };
    const bodies: Buffer[] = [];
    const waiting: [http.IncomingMessage, http.ServerResponse][] = [];
    const read = ([req, res]: [http.IncomingMessage, http.ServerResponse]) => {
      req.on('data', (chunk: Buffer) => (sinceTurn += chunk.length));
      void readBody(req, Number(req.headers['content-length']), { budget }).then((body) => {
        bodies.push(body);
        res.end('ok');
      });
    };
    server = http.createServer((req, res) => {
      // every body is read from the same moment on, with megabytes of each already waiting in
      // its socket: what one turn would read without the budget
      if (waiting.push([req, res]) < COUNT) return;
      setTimeout(() => {
        setImmediate(turn);
        waiting.forEach(read);
      }, 300);
    });
    server.listen(0, '127.0.0.1');
    await once(server, 'listening');
    const [code] = await sendFromChild((server.address() as AddressInfo).port, COUNT, SIZE);
    reading = false;
    expect(code).toBe(0);
    expect(bodies).toHaveLength(COUNT);
    for (const body of bodies) expect(body.equals(Buffer.alloc(SIZE, 'a'))).toBe(true);
    // Past the budget, each body may still hand over a chunk (at most 64 KiB) of the socket and
    // one its stream held while paused (emitted on resume): 2.5-3.1 MB in one turn without a budget.
    expect(mostInOneTurn).toBeLessThanOrEqual(BUDGET + COUNT * 2 * 64 * 1024);
    console.info(`[readBudget.test] most bytes read in one turn: ${mostInOneTurn}`);
  }, 60_000);
});
