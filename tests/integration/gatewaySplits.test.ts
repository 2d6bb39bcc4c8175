/**
 * The /v1 gateway under an A/B split: each end user (`user` field) gets the arm /llm/request
 * gives them, for good; the upstream gets the arm's model and system prompt, the row records
 * the arm's version and the answer carries it in `x-llmguard-config-version`.
 */
import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import OpenAI from 'openai';
import request from 'supertest';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { eventually } from '../helpers/eventually.js';
import { bearer, createProject, registerUser, upgradeUser, type TestProject } from '../helpers/factories.js';
import { startFakeOpenAI, type FakeOpenAI } from '../helpers/fakeOpenAI.js';
import { useTestApp } from '../helpers/testApp.js';

const ctx = useTestApp({ openai: null, gateway: { allowPrivateUpstreams: true, maxRetries: 0, timeoutMs: 5_000 } });
let fake: FakeOpenAI;
let server: Server;
let base: string;
let project: TestProject;

beforeAll(async () => {
  fake = await startFakeOpenAI();
  fake.reply({ kind: 'content', content: 'Hello from upstream' });
  server = ctx.app.listen(0, '127.0.0.1');
  await new Promise((r) => server.once('listening', r));
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}/v1`;
  const owner = await registerUser(ctx.app);
  await upgradeUser(ctx.prisma, owner.id);
  project = await createProject(ctx.app, owner);
  const auth = bearer(owner.accessToken);
  const projectUrl = `/api/v1/projects/${project.id}`;
  await request(ctx.app)
    .post(`${projectUrl}/providers`)
    .set(auth)
    .send({ name: 'default', kind: 'compatible', baseUrl: `${fake.url}/v1`, apiKey: 'sk-upstream-0123456789-abcd' })
    .expect(201);
  await request(ctx.app)
    .post(`${projectUrl}/config-versions`)
    .set(auth)
    .send({ config: { model: 'gpt-4o-mini', systemPrompt: 'You are arm B.' } })
    .expect(201);
  await request(ctx.app)
    .put(`${projectUrl}/config-split`)
    .set(auth)
    .send({
      arms: [
        { version: 1, weight: 50 },
        { version: 2, weight: 50 },
      ],
    })
    .expect(200);
});
afterAll(async () => {
  await new Promise((r) => server?.close(r));
  server?.closeAllConnections();
  await fake?.close();
});

const client = () => new OpenAI({ apiKey: project.apiKey, baseURL: base, maxRetries: 0 });

/** The arm /llm/request assigns this end user. */
async function ingestArm(user: string): Promise<number> {
  const res = await request(ctx.app)
    .post('/api/v1/llm/request')
    .set('X-API-Key', project.apiKey)
    .send({ model: 'gpt-4o', prompt: 'hello', userId: user, latencyMs: 10 });
  expect(res.status).toBe(201);
  return res.body.configVersion;
}

async function chat(user: string, stream = false) {
  const before = fake.requests.length;
  const params = { model: 'gpt-4o', user, messages: [{ role: 'user' as const, content: 'hello there' }] };
  const { response } = stream
    ? await client()
        .chat.completions.create({ ...params, stream: true })
        .withResponse()
    : await client().chat.completions.create(params).withResponse();
  if (stream) await response.text();
  const sent = fake.requests[before]!.body;
  return {
    version: Number(response.headers.get('x-llmguard-config-version')),
    requestId: response.headers.get('x-llmguard-request-id')!,
    model: sent.model,
    system: sent.messages.find((m) => m.role === 'system')?.content ?? null,
  };
}

describe('gateway under an A/B split', () => {
  it('should give each user the arm /llm/request gives them, send that arm upstream and record it', async () => {
    const seen = new Set<number>();
    for (let i = 0; i < 24; i++) {
      const user = `end-user-${i}`;
      const expected = await ingestArm(user);
      const first = await chat(user);
      expect(first.version, user).toBe(expected);
      expect(first.model).toBe(expected === 2 ? 'gpt-4o-mini' : 'gpt-4o');
      expect(first.system).toBe(expected === 2 ? 'You are arm B.' : null);
      const row = await eventually(() => ctx.prisma.llmRequest.findUnique({ where: { id: first.requestId } }));
      expect(row?.configVersion).toBe(expected);
      expect(row?.effectiveModel).toBe(first.model);
      seen.add(first.version);
    }
    expect(seen).toEqual(new Set([1, 2]));
  });

  it('should keep a user on one arm across calls, streamed ones included', async () => {
    for (let i = 0; i < 6; i++) {
      const user = `sticky-user-${i}`;
      const first = await chat(user);
      expect([1, 2]).toContain(first.version);
      for (let j = 0; j < 3; j++) expect((await chat(user, j === 1)).version).toBe(first.version);
    }
  });
});
