import { createHmac } from 'node:crypto';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import request from 'supertest';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { bearer, createAdmin, createProject, registerUser, upgradeUser, type TestUser } from '../helpers/factories.js';
import { seedIncident } from '../helpers/incidentFixtures.js';
import { useTestApp } from '../helpers/testApp.js';

const ctx = useTestApp({ openai: null });

/** A local webhook receiver that keeps what it was sent. */
const received: { body: string; headers: Record<string, string | string[] | undefined> }[] = [];
let receiver: Server;
let hookUrl: string;
beforeAll(async () => {
  receiver = createServer((req, res) => {
    let body = '';
    req.on('data', (c) => (body += c));
    req.on('end', () => {
      received.push({ body, headers: req.headers });
      res.writeHead(204).end();
    });
  });
  await new Promise<void>((r) => receiver.listen(0, '127.0.0.1', r));
  hookUrl = `http://127.0.0.1:${(receiver.address() as AddressInfo).port}/hook`;
});
afterAll(() => new Promise<void>((r) => receiver.close(() => r())));

const guide = async (user: TestUser) => {
  const res = await request(ctx.app).get('/api/v1/onboarding').set(bearer(user.accessToken));
  expect(res.status).toBe(200);
  return res.body as {
    steps: {
      id: string;
      done: boolean;
      doneAt: string | null;
      next: { examples?: { curl: string; openai: string } } | null;
    }[];
    progress: number;
    dismissed: boolean;
  };
};
const doneSteps = async (user: TestUser) => (await guide(user)).steps.filter((s) => s.done).map((s) => s.id);

describe('GET /api/v1/onboarding', () => {
  it('should turn each step done from the real action and not before', async () => {
    const user = await registerUser(ctx.app);
    const fresh = await guide(user);
    expect(fresh.steps.map((s) => s.id)).toEqual([
      'create_project',
      'create_api_key',
      'first_request',
      'review_threshold',
      'alert_webhook',
      'first_incident',
      'choose_plan',
    ]);
    expect(fresh).toMatchObject({ progress: 0, dismissed: false });
    expect(fresh.steps.every((s) => !s.done && s.doneAt === null && s.next !== null)).toBe(true);

    const project = await createProject(ctx.app, user);
    expect(await doneSteps(user)).toEqual(['create_project', 'create_api_key']);

    const call = await request(ctx.app)
      .post('/api/v1/llm/request')
      .set('X-API-Key', project.apiKey)
      .send({ model: 'gpt-4o', prompt: 'Hello', latencyMs: 100 });
    expect(call.status).toBe(201);
    expect(await doneSteps(user)).toContain('first_request');

    const settings = (body: object) =>
      request(ctx.app)
        .post(`/api/v1/settings/project?projectId=${project.id}`)
        .set(bearer(user.accessToken))
        .send(body);
    await settings({ description: 'not the threshold' }).expect(200);
    expect(await doneSteps(user)).not.toContain('review_threshold');
    await settings({ safetyThreshold: 70 }).expect(200);
    expect(await doneSteps(user)).toContain('review_threshold');

    // A webhook that is set but not tested is not done; a delivered, signed test is.
    const secret = 'whsec-onboarding-test-0123456789';
    await settings({ alertWebhookUrl: hookUrl, alertWebhookSecret: secret }).expect(200);
    expect(await doneSteps(user)).not.toContain('alert_webhook');
    const test = await request(ctx.app)
      .post('/api/v1/onboarding/alerts/test')
      .set(bearer(user.accessToken))
      .send({ projectId: project.id });
    expect(test.status).toBe(200);
    expect(test.body).toMatchObject({ delivered: true, signed: true, error: null });
    const sent = received.at(-1)!;
    expect(JSON.parse(sent.body)).toMatchObject({ event: 'test', projectId: project.id });
    expect(sent.headers['x-llmguard-signature']).toBe(
      `sha256=${createHmac('sha256', secret).update(sent.body).digest('hex')}`,
    );
    expect(await doneSteps(user)).toContain('alert_webhook');

    const incident = await seedIncident(ctx.prisma, project.id);
    expect(await doneSteps(user)).not.toContain('first_incident');
    await request(ctx.app).get(`/api/v1/incidents/${incident.id}`).set(bearer(user.accessToken)).expect(200);
    expect(await doneSteps(user)).toContain('first_incident');

    expect(await doneSteps(user)).not.toContain('choose_plan');
    await upgradeUser(ctx.prisma, user.id, 'pro');
    const all = await guide(user);
    expect(all.progress).toBe(100);
    expect(all.steps.every((s) => s.done && s.doneAt !== null && s.next === null)).toBe(true);

    // Each completion is one audit event, however often the guide is read.
    const events = await ctx.prisma.auditLog.findMany({
      where: { actorId: user.id, action: 'onboarding.step_completed' },
    });
    expect(events.map((e) => e.targetId).sort()).toEqual(all.steps.map((s) => s.id).sort());
  });

  it("should fill the examples with the user's project id and key prefix and never the secret", async () => {
    const user = await registerUser(ctx.app);
    const project = await createProject(ctx.app, user);
    const key = await ctx.prisma.apiKey.findUniqueOrThrow({ where: { id: project.apiKeyId } });
    const body = await guide(user);
    const first = body.steps.find((s) => s.id === 'first_request')!;
    expect(first.next!.examples!.curl).toContain(key.prefix);
    expect(first.next!.examples!.curl).toContain('/api/v1/llm/request');
    expect(first.next!.examples!.openai).toContain(project.id);
    expect(first.next!.examples!.openai).toContain("from 'openai'");
    expect(JSON.stringify(body)).not.toContain(project.apiKey);
    expect(JSON.stringify(body)).toContain(key.prefix);
  });

  it('should answer 409 for a test alert without a webhook and 404 for a project of another user', async () => {
    const user = await registerUser(ctx.app);
    const other = await registerUser(ctx.app);
    const project = await createProject(ctx.app, user);
    const send = (u: TestUser) =>
      request(ctx.app)
        .post('/api/v1/onboarding/alerts/test')
        .set(bearer(u.accessToken))
        .send({ projectId: project.id });
    expect((await send(user)).status).toBe(409);
    expect((await send(other)).status).toBe(404);
  });

  it('should hide the guide after dismiss and keep deriving the steps', async () => {
    const user = await registerUser(ctx.app);
    await request(ctx.app).post('/api/v1/onboarding/dismiss').set(bearer(user.accessToken)).expect(204);
    await request(ctx.app).post('/api/v1/onboarding/dismiss').set(bearer(user.accessToken)).expect(204);
    await createProject(ctx.app, user);
    const body = await guide(user);
    expect(body.dismissed).toBe(true);
    expect(body.progress).toBe(29); // 2 of 7
  });
});

describe('GET /api/v1/admin/onboarding-funnel', () => {
  it('should count the users who signed up in the period per step', async () => {
    const from = new Date(Date.now() - 1).toISOString();
    const full = await registerUser(ctx.app);
    const p = await createProject(ctx.app, full);
    await request(ctx.app)
      .post('/api/v1/llm/request')
      .set('X-API-Key', p.apiKey)
      .send({ model: 'gpt-4o', prompt: 'Hello', latencyMs: 100 })
      .expect(201);
    const half = await registerUser(ctx.app);
    await createProject(ctx.app, half);
    await registerUser(ctx.app); // signs up and stops there
    const to = new Date(Date.now() + 1).toISOString();
    await new Promise((r) => setTimeout(r, 5));
    const admin = await createAdmin(ctx.app, ctx.prisma);
    const res = await request(ctx.app)
      .get(`/api/v1/admin/onboarding-funnel?from=${from}&to=${to}`)
      .set(bearer(admin.accessToken));
    expect(res.status).toBe(200);
    expect(res.body.users).toBe(3);
    const byStep = Object.fromEntries(res.body.steps.map((s: { id: string; users: number }) => [s.id, s.users]));
    expect(byStep).toEqual({
      create_project: 2,
      create_api_key: 2,
      first_request: 1,
      review_threshold: 0,
      alert_webhook: 0,
      first_incident: 0,
      choose_plan: 0,
    });
    expect((await request(ctx.app).get('/api/v1/admin/onboarding-funnel').set(bearer(full.accessToken))).status).toBe(
      403,
    );
  });
});
