/**
 * endInPieces (routes/directPath.ts): a long answer is written in pieces, one a turn of the event
 * loop, and the client receives exactly the bytes `res.end(payload)` would have sent, astral
 * characters across a piece's edge included.
 */
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { ANSWER_PIECE_CHARS, endInPieces } from '../../src/routes/endInPieces.js';

let server: http.Server | undefined;
afterEach(async () => {
  await new Promise((resolve) => server?.close(resolve) ?? resolve(undefined));
  server = undefined;
});

/** Serves `payload` once with endInPieces; resolves with the bytes received and the writes made. */
async function served(payload: string | string[]): Promise<{ body: Buffer; writes: number; turns: number }> {
  const whole = typeof payload === 'string' ? payload : payload.join('');
  let writes = 0;
  let turns = 0;
  server = http.createServer((req, res) => {
    const write = res.write.bind(res);
    res.write = ((chunk: Buffer) => {
      writes++;
      return write(chunk);
    }) as typeof res.write;
    res.writeHead(200, { 'Content-Type': 'application/json', 'Content-Length': Buffer.byteLength(whole) });
    // count the event-loop turns the answer spans: a ticker beside it
    let done = false;
    const tick = () => {
      turns++;
      if (!done) setImmediate(tick);
    };
    setImmediate(tick);
    void endInPieces(res, payload).then(() => (done = true));
  });
  await new Promise<void>((resolve) => server!.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  const body = await new Promise<Buffer>((resolve, reject) => {
    http
      .get({ port, host: '127.0.0.1', agent: false }, (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('end', () => resolve(Buffer.concat(chunks)));
      })
      .on('error', reject);
  });
  return { body, writes, turns };
}

describe('endInPieces', () => {
  it('should send a short answer whole, in one write', async () => {
    const payload = JSON.stringify({ ok: 'é'.repeat(1000) });
    const { body, writes } = await served(payload);
    expect(body.equals(Buffer.from(payload))).toBe(true);
    expect(writes).toBe(0); // res.end(payload), no pieces
  });

  it('should send a long answer in pieces over several turns, byte for byte', async () => {
    // a surrogate pair across the first piece's edge, two-byte and three-byte characters, escapes
    const payload =
      'a'.repeat(ANSWER_PIECE_CHARS - 1) + '😀' + 'é€\\"\n'.repeat(100_000) + '𝄞'.repeat(ANSWER_PIECE_CHARS / 2);
    expect(payload.charCodeAt(ANSWER_PIECE_CHARS - 1)).toBeGreaterThanOrEqual(0xd800); // a high surrogate there
    const { body, writes, turns } = await served(payload);
    expect(body.length).toBe(Buffer.byteLength(payload));
    expect(body.equals(Buffer.from(payload))).toBe(true);
    expect(body.toString('utf8')).toBe(payload);
    expect(writes).toBe(Math.ceil(payload.length / ANSWER_PIECE_CHARS));
    expect(turns).toBeGreaterThanOrEqual(writes - 1);
  });

  it("should send an answer's parts as their concatenation, a long part in pieces", async () => {
    const long = JSON.stringify('😀é'.repeat(ANSWER_PIECE_CHARS)); // 3 pieces, pairs across the edges
    const parts = ['{"id":"a","redactedPrompt":', long, ',"redactedMessages":[{"role":"user","content":', long, ']}'];
    const { body, writes } = await served(parts);
    expect(body.equals(Buffer.from(parts.join('')))).toBe(true);
    expect(writes).toBe(3 + 2 * Math.ceil(long.length / ANSWER_PIECE_CHARS));
    // one short part is a single res.end, as a short string is
    expect((await served(['{"id":"b"}'])).writes).toBe(0);
  });

  it('should stop writing once the client is gone', async () => {
    const payload = 'x'.repeat(ANSWER_PIECE_CHARS * 8);
    const res = new http.ServerResponse(new http.IncomingMessage(null as never));
    let writes = 0;
    res.write = (() => {
      writes++;
      if (writes === 2) res.destroy();
      return true;
    }) as typeof res.write;
    await endInPieces(res, payload);
    expect(writes).toBe(2);
  });
});
