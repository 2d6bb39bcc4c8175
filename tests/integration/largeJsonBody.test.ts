/**
 * Express's parser of large JSON bodies (middleware/largeJsonBody.ts), on what the direct path
 * declines (here a query string): the body is decoded in a turn of the event loop of its own and
 * parsed in another, and the answers are express.json's: 201 as sent (gzip too), malformed JSON
 * 400, over the limit 413, and a charset other than UTF-8 left to express.json (415).
 */
import { once } from 'node:events';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { gzipSync } from 'node:zlib';
import request from 'supertest';
import { beforeAll, describe, expect, it, vi } from 'vitest';
import { createProject, registerUser, type TestProject } from '../helpers/factories.js';

const pausedFrom: string[] = [];
vi.mock('../../src/domain/slices.js', async (importOriginal) =>
  (await import('../helpers/pauseCallers.js')).slicesNotingPauses(importOriginal, pausedFrom, (frame) =>
    frame.includes('largeJsonBody') ? 'largeJsonBody' : null,
  ),
);

const { useTestApp } = await import('../helpers/testApp.js');
const ctx = useTestApp({ ingestFastPath: true });
let project: TestProject;

beforeAll(async () => {
  project = await createProject(ctx.app, await registerUser(ctx.app));
});

/** A query string: the direct path declines the request, Express's parsers read it. */
const URL = '/api/v1/llm/request?via=express';
const prompt = 'Please summarise this long report for the board. '.repeat(3_000); // 147 KB

const post = (body: Buffer | string, headers: Record<string, string> = {}) =>
  request(ctx.app)
    .post(URL)
    .set('x-api-key', project.apiKey)
    .set('content-type', 'application/json')
    .set(headers)
    .send(body);

async function storedPrompt(id: string): Promise<string | undefined> {
  const row = await ctx.prisma.llmRequest.findFirst({ where: { id }, select: { prompt: true } });
  return row?.prompt;
}

describe('large JSON bodies on the Express path', () => {
  it('should read, decode and parse a large body in turns of their own, and store it as sent', async () => {
    pausedFrom.length = 0;
    const res = await post(JSON.stringify({ model: 'gpt-4o', prompt, latencyMs: 10 })).expect(201);
    expect(pausedFrom).toEqual(['largeJsonBody', 'largeJsonBody']);
    expect(await storedPrompt(res.body.id as string)).toBe(prompt);
  });

  it('should inflate a large gzip body (over 64 KiB compressed) and store it as sent', async () => {
    // varied text, so that even compressed it is large; sent with node:http (supertest re-encodes it)
    const varied = Array.from({ length: 40_000 }, (_, i) => `w${(i * 2654435761) % 1_000_003}`).join(' ');
    const gzipped = gzipSync(Buffer.from(JSON.stringify({ model: 'gpt-4o', prompt: varied, latencyMs: 10 })));
    expect(gzipped.length).toBeGreaterThan(64 * 1024);
    const server = http.createServer(ctx.app).listen(0, '127.0.0.1');
    await once(server, 'listening');
    try {
      pausedFrom.length = 0;
      const answer = await new Promise<{ status: number; body: string }>((resolve, reject) => {
        const req = http.request(
          {
            port: (server.address() as AddressInfo).port,
            host: '127.0.0.1',
            method: 'POST',
            path: URL,
            headers: {
              'content-type': 'application/json',
              'content-encoding': 'gzip',
              'content-length': gzipped.length,
              'x-api-key': project.apiKey,
            },
          },
          (res) => {
            let text = '';
            res.on('data', (chunk: Buffer) => (text += chunk.toString()));
            res.on('end', () => resolve({ status: res.statusCode ?? 0, body: text }));
          },
        );
        req.on('error', reject);
        req.end(gzipped);
      });
      expect(answer.status).toBe(201);
      expect(pausedFrom).toEqual(['largeJsonBody', 'largeJsonBody']);
      expect(await storedPrompt((JSON.parse(answer.body) as { id: string }).id)).toBe(varied);
    } finally {
      server.close();
    }
  });

  it('should leave a body in another charset to express.json, which refuses it with 415', async () => {
    pausedFrom.length = 0;
    const latin1 = await post(Buffer.from(JSON.stringify({ model: 'gpt-4o', prompt, latencyMs: 10 }), 'latin1'), {
      'content-type': 'application/json; charset=iso-8859-1',
    }).expect(415);
    expect(latin1.body.error.code).toBe('UNSUPPORTED_MEDIA_TYPE');
    expect(pausedFrom).toEqual([]); // express.json, not the turns
  });

  it('should refuse malformed JSON with 400 and a body over the limit with 413', async () => {
    const malformed = await post(`{"model": "gpt-4o", "prompt": "${prompt}", `).expect(400);
    expect(malformed.body.error).toMatchObject({ code: 'INVALID_JSON', message: 'Malformed JSON body' });
    const scalar = await post(`"${prompt}"`).expect(400);
    expect(scalar.body.error.code).toBe('INVALID_JSON');
    const huge = await post(JSON.stringify({ model: 'gpt-4o', prompt: 'x'.repeat(11 * 1024 * 1024) })).expect(413);
    expect(huge.body.error.code).toBe('PAYLOAD_TOO_LARGE');
  });
});
