/**
 * The gateway's transport under the official `openai` SDK (src/services/gateway/transport.ts):
 * with it, the SDK must answer, stream, fail, time out and abort exactly as with the global
 * fetch, and reuse its connections.
 */
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import OpenAI from 'openai';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { createUpstreamFetch } from '../../src/services/gateway/transport.js';
import { startFakeOpenAI, type FakeOpenAI } from '../helpers/fakeOpenAI.js';

let fake: FakeOpenAI;
const transport = createUpstreamFetch();
const messages = [{ role: 'user' as const, content: 'Say hello.' }];

const clients = () => ({
  global: new OpenAI({ apiKey: 'sk-test-0000', baseURL: `${fake.url}/v1`, maxRetries: 0, timeout: 2_000 }),
  node: new OpenAI({
    apiKey: 'sk-test-0000',
    baseURL: `${fake.url}/v1`,
    maxRetries: 0,
    timeout: 2_000,
    fetch: transport,
  }),
});

beforeAll(async () => {
  fake = await startFakeOpenAI();
});
afterAll(async () => {
  transport.destroy();
  await fake?.close();
});
beforeEach(() => {
  fake.requests.length = 0;
  fake.resetReplies();
  fake.reply({ kind: 'content', content: 'Hello there' });
});

async function failure(promise: Promise<unknown>): Promise<unknown> {
  try {
    await promise;
  } catch (err) {
    return err;
  }
  throw new Error('expected a failure');
}

describe('the upstream transport under the openai SDK', () => {
  it('should answer a completion exactly as the global fetch does, with the same request upstream', async () => {
    const { global, node } = clients();
    const viaGlobal = await global.chat.completions.create({ model: 'gpt-4o', messages, user: 'u1' });
    const viaNode = await node.chat.completions.create({ model: 'gpt-4o', messages, user: 'u1' });
    expect({ ...viaNode, id: '', created: 0 }).toEqual({ ...viaGlobal, id: '', created: 0 });
    expect(fake.requests.map((r) => [r.path, r.authorization, r.body])).toEqual([
      ['/v1/chat/completions', 'Bearer sk-test-0000', { model: 'gpt-4o', messages, user: 'u1' }],
      ['/v1/chat/completions', 'Bearer sk-test-0000', { model: 'gpt-4o', messages, user: 'u1' }],
    ]);
  });

  it('should read a JSON answer as fetch reads it: once, as UTF-8, a byte order mark dropped', async () => {
    const body = Buffer.concat([Buffer.from([0xef, 0xbb, 0xbf]), Buffer.from('{"word":"grüße","n":1}')]);
    const server = http.createServer((_req, res) => {
      res.writeHead(200, { 'content-type': 'application/json', 'x-extra': 'a' });
      res.end(body);
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    try {
      const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/v1/x`;
      const read = async (f: typeof fetch) => {
        const res = await f(url);
        const before = res.bodyUsed;
        const json: unknown = await res.json();
        const again = await failure(res.text());
        return {
          status: res.status,
          ok: res.ok,
          type: res.headers.get('content-type'),
          extra: res.headers.get('x-extra'),
          before,
          json,
          after: res.bodyUsed,
          again: again instanceof TypeError,
        };
      };
      const viaNode = await read(transport);
      expect(viaNode).toEqual(await read(fetch));
      expect(viaNode).toMatchObject({ json: { word: 'grüße', n: 1 }, before: false, after: true, again: true });
      const text = await (await transport(url)).text();
      expect(text).toBe('{"word":"grüße","n":1}');
      const bytes = new Uint8Array(await (await transport(url)).arrayBuffer());
      expect(Buffer.from(bytes).equals(body)).toBe(true);
    } finally {
      await new Promise((r) => server.close(r));
    }
  });

  it('should stream the same chunks in the same order', async () => {
    const { global, node } = clients();
    const read = async (client: OpenAI) => {
      const stream = await client.chat.completions.create({
        model: 'gpt-4o',
        messages,
        stream: true,
        stream_options: { include_usage: true },
      });
      const out: unknown[] = [];
      for await (const chunk of stream) out.push({ ...chunk, id: '', created: 0 });
      return out;
    };
    const viaNode = await read(node);
    expect(viaNode.length).toBeGreaterThan(2);
    expect(viaNode).toEqual(await read(global));
  });

  it('should raise the same API error for an HTTP error, with its headers', async () => {
    const { global, node } = clients();
    fake.reply({ kind: 'error', status: 429, message: 'slow down' });
    type ApiError = InstanceType<typeof OpenAI.APIError>;
    const a = (await failure(global.chat.completions.create({ model: 'gpt-4o', messages }))) as ApiError;
    const b = (await failure(node.chat.completions.create({ model: 'gpt-4o', messages }))) as ApiError;
    expect(b).toBeInstanceOf(OpenAI.RateLimitError);
    expect([b.status, b.message, b.error]).toEqual([a.status, a.message, a.error]);
    expect(b.headers?.get('content-type')).toBe(a.headers?.get('content-type'));
  });

  it('should time out as a connection timeout', async () => {
    const { node } = clients();
    fake.reply({ kind: 'content', content: 'late', delayMs: 1_000 });
    const err = await failure(node.chat.completions.create({ model: 'gpt-4o', messages }, { timeout: 100 }));
    expect(err).toBeInstanceOf(OpenAI.APIConnectionTimeoutError);
  });

  it("should raise a user abort for the caller's signal, before the answer and mid-stream", async () => {
    const { node } = clients();
    const before = new AbortController();
    fake.reply({ kind: 'content', content: 'late', delayMs: 500 });
    const pending = node.chat.completions.create({ model: 'gpt-4o', messages }, { signal: before.signal });
    setTimeout(() => before.abort(), 50);
    expect(await failure(pending)).toBeInstanceOf(OpenAI.APIUserAbortError);

    const during = new AbortController();
    fake.reply({ kind: 'content', content: 'one two three four five six', chunkDelayMs: 100 });
    const aborted = fake.aborted;
    const stream = await node.chat.completions.create(
      { model: 'gpt-4o', messages, stream: true },
      { signal: during.signal },
    );
    let chunks = 0;
    for await (const _chunk of stream) {
      if (++chunks === 2) during.abort();
    }
    expect(chunks).toBe(2);
    await expect.poll(() => fake.aborted).toBe(aborted + 1);
  });

  it('should raise a connection error when nothing listens', async () => {
    const closed = http.createServer();
    await new Promise<void>((r) => closed.listen(0, '127.0.0.1', r));
    const { port } = closed.address() as AddressInfo;
    await new Promise((r) => closed.close(r));
    const client = new OpenAI({
      apiKey: 'sk-x',
      baseURL: `http://127.0.0.1:${port}/v1`,
      maxRetries: 0,
      fetch: transport,
    });
    const err = await failure(client.chat.completions.create({ model: 'gpt-4o', messages }));
    expect(err).toBeInstanceOf(OpenAI.APIConnectionError);
    expect(err).not.toBeInstanceOf(OpenAI.APIConnectionTimeoutError);
  });

  it('should keep its connection alive between calls', async () => {
    const sockets = new Set<unknown>();
    const server = http.createServer((req, res) => {
      sockets.add(req.socket);
      req.resume();
      req.on('end', () => {
        res.writeHead(200, { 'content-type': 'application/json' });
        res.end(JSON.stringify({ object: 'list', data: [{ id: 'm', object: 'model', created: 0, owned_by: 'x' }] }));
      });
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    try {
      const { port } = server.address() as AddressInfo;
      const client = new OpenAI({ apiKey: 'sk-x', baseURL: `http://127.0.0.1:${port}/v1`, fetch: transport });
      for (let i = 0; i < 5; i++) expect((await client.models.list()).data).toHaveLength(1);
      expect(sockets.size).toBe(1);
    } finally {
      server.closeAllConnections();
      await new Promise((r) => server.close(r));
    }
  });
});
