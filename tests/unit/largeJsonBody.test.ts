/**
 * Express's parser of large JSON bodies (middleware/largeJsonBody.ts) reads chunked bodies
 * arriving together at most about its budget per turn of the event loop, without joining any of
 * them whole when it ends (9 MB took 25 ms in one go), and parses every one whole.
 */
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import type http from 'node:http';
import type { AddressInfo, Socket } from 'node:net';
import express from 'express';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { largeJsonBody } from '../../src/middleware/largeJsonBody.js';
import { LARGE_BODY_BYTES } from '../../src/utils/bodyReader.js';
import { TurnBudget } from '../../src/utils/readBudget.js';

let server: http.Server | undefined;
afterEach(() => {
  vi.restoreAllMocks();
  server?.close();
  server = undefined;
});

describe('largeJsonBody under several chunked bodies at once', () => {
  it('should read at most about its budget per turn, and parse every body whole', async () => {
    const COUNT = 4;
    const CHARS = 6 * 1024 * 1024;
    const BUDGET = 128 * 1024;
    const budget = new TurnBudget(BUDGET);
    // bytes read from the bodies' sockets between two turns of the event loop, whoever reads them
    const sockets: Socket[] = [];
    const readSoFar = () => sockets.reduce((sum, s) => sum + s.bytesRead, 0);
    let atLastTurn = 0;
    let mostInOneTurn = 0;
    let reading = true;
    const turn = () => {
      const now = readSoFar();
      mostInOneTurn = Math.max(mostInOneTurn, now - atLastTurn);
      atLastTurn = now;
      if (reading) setImmediate(turn);
    };
    const app = express();
    // every body is read from the same moment on, with megabytes of each already in its socket
    const held: (() => void)[] = [];
    app.use((req, _res, next) => {
      sockets.push(req.socket);
      if (held.push(next) < COUNT) return;
      setTimeout(() => {
        atLastTurn = readSoFar();
        setImmediate(turn);
        held.forEach((go) => go());
      }, 300);
    });
    app.use(largeJsonBody({ limit: '10mb', fallback: express.json(), budget }));
    const lengths: number[] = [];
    app.post('/', (req, res) => {
      lengths.push((req.body as { text: string }).text.length);
      res.end('ok');
    });
    // the longest join of buffers in this process while the bodies are read
    let longestJoin = 0;
    const concat = Buffer.concat.bind(Buffer);
    vi.spyOn(Buffer, 'concat').mockImplementation((list, totalLength) => {
      const joined = concat(list, totalLength);
      longestJoin = Math.max(longestJoin, joined.length);
      return joined;
    });
    server = app.listen(0, '127.0.0.1');
    await once(server, 'listening');
    const port = (server.address() as AddressInfo).port;
    const script = `
      const http = require('node:http');
      const body = Buffer.from(JSON.stringify({ text: 'a'.repeat(${CHARS}) }));
      let left = ${COUNT};
      for (let i = 0; i < ${COUNT}; i++) {
        const req = http.request({ port: ${port}, host: '127.0.0.1', method: 'POST', path: '/',
          headers: { 'content-type': 'application/json', 'transfer-encoding': 'chunked' } },
          (res) => { res.resume(); res.on('end', () => { if (--left === 0) process.exit(0); }); });
        req.end(body);
      }`;
    const [code] = await once(spawn(process.execPath, ['-e', script], { stdio: 'inherit' }), 'exit');
    reading = false;
    expect(code).toBe(0);
    expect(lengths).toEqual(Array.from({ length: COUNT }, () => CHARS));
    // past the budget each body may still hand over a chunk of its socket and one its stream held
    expect(mostInOneTurn).toBeLessThanOrEqual(BUDGET + COUNT * 2 * 64 * 1024);
    // each body was copied into one buffer as it came (express.raw joined its 6 MB at the end)
    expect(longestJoin).toBeLessThanOrEqual(LARGE_BODY_BYTES);
    console.info(`[largeJsonBody.test] most bytes read in one turn: ${mostInOneTurn}, longest join: ${longestJoin}`);
  }, 60_000);
});
