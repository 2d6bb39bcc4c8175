import request from 'supertest';
import { beforeAll, describe, expect, it } from 'vitest';
import { bearer, createProject, registerUser, type TestProject, type TestUser } from '../helpers/factories.js';
import { useTestApp } from '../helpers/testApp.js';

const ctx = useTestApp();
let user: TestUser;
let project: TestProject;

const body = (over: Record<string, unknown> = {}) => ({
  model: 'gpt-4o',
  prompt: 'Summarise the incident report.',
  response: 'The report says the queue was full.',
  endpoint: 'chat',
  userId: 'end-user-42',
  latencyMs: 300,
  promptTokens: 10,
  completionTokens: 5,
  ...over,
});
const ingest = (b: object) => request(ctx.app).post('/api/v1/llm/request').set('X-API-Key', project.apiKey).send(b);
const usedQuota = async () =>
  (await ctx.prisma.usageCounter.findMany({ where: { userId: user.id } })).reduce((n, c) => n + Number(c.requests), 0);

beforeAll(async () => {
  user = await registerUser(ctx.app);
  project = await createProject(ctx.app, user);
  for (const [action, params] of [
    ['disable_endpoint', { endpoint: 'legacy' }],
    ['rate_limit_user', { userId: 'noisy-user', limit: 1, windowSeconds: 3600 }],
  ] as const) {
    await ctx.prisma.remediationAction.create({ data: { projectId: project.id, action, params } });
  }
  await ctx.keyCache.invalidateProject(project.id);
});

describe('calls refused by a remediation', () => {
  let disabledId: string;
  let limitedId: string;

  it('should answer 403 ENDPOINT_DISABLED and record the call as refused, outside the quota', async () => {
    const before = await usedQuota();
    const res = await ingest(body({ endpoint: 'legacy', prompt: 'Legacy endpoint call about invoices' }));
    expect(res.status).toBe(403);
    expect(res.body.error.code).toBe('ENDPOINT_DISABLED');
    const row = await ctx.prisma.llmRequest.findFirstOrThrow({ where: { projectId: project.id, endpoint: 'legacy' } });
    expect(row).toMatchObject({ outcome: 'refused', refusalReason: 'endpoint_disabled', latencyMs: 300 });
    expect(row.prompt).toBe('Legacy endpoint call about invoices');
    expect(await usedQuota()).toBe(before);
    disabledId = row.id;
  });

  it('should answer 429 USER_RATE_LIMITED and record the call as refused, outside the quota', async () => {
    expect((await ingest(body({ userId: 'noisy-user' }))).status).toBe(201);
    const before = await usedQuota();
    const res = await ingest(body({ userId: 'noisy-user', prompt: 'second call of the noisy user' }));
    expect(res.status).toBe(429);
    expect(res.body.error.code).toBe('USER_RATE_LIMITED');
    const row = await ctx.prisma.llmRequest.findFirstOrThrow({
      where: { projectId: project.id, endUserId: 'noisy-user', outcome: 'refused' },
    });
    expect(row.refusalReason).toBe('user_rate_limited');
    expect(await usedQuota()).toBe(before);
    limitedId = row.id;
  });

  it('should count accepted calls against the quota as before', async () => {
    const before = await usedQuota();
    expect((await ingest(body())).status).toBe(201);
    expect(await usedQuota()).toBe(before + 1);
  });

  it('should list refused calls with /logs?outcome=refused, and leave them out of outcome=accepted', async () => {
    const refused = await request(ctx.app)
      .get(`/api/v1/logs?projectId=${project.id}&outcome=refused`)
      .set(bearer(user.accessToken));
    expect(refused.status).toBe(200);
    expect(refused.body.data.map((r: { id: string }) => r.id).sort()).toEqual([disabledId, limitedId].sort());
    expect(refused.body.data[0]).toMatchObject({ outcome: 'refused' });
    const accepted = await request(ctx.app)
      .get(`/api/v1/logs?projectId=${project.id}&outcome=accepted`)
      .set(bearer(user.accessToken));
    expect(accepted.body.total).toBe(2);
    expect(accepted.body.data.every((r: { outcome: string }) => r.outcome === 'accepted')).toBe(true);
    const one = await request(ctx.app).get(`/api/v1/logs/${disabledId}`).set(bearer(user.accessToken));
    expect(one.body.request).toMatchObject({ outcome: 'refused', refusalReason: 'endpoint_disabled' });
  });

  it('should reject an unknown outcome with 400', async () => {
    const res = await request(ctx.app)
      .get(`/api/v1/logs?projectId=${project.id}&outcome=maybe`)
      .set(bearer(user.accessToken));
    expect(res.status).toBe(400);
    expect(res.body.error.code).toBe('VALIDATION_ERROR');
  });

  it('should count refusals per reason in /metrics', async () => {
    const from = new Date(Date.now() - 3_600_000).toISOString();
    const to = new Date(Date.now() + 3_600_000).toISOString();
    const res = await request(ctx.app)
      .get(`/api/v1/metrics?projectId=${project.id}&from=${from}&to=${to}`)
      .set(bearer(user.accessToken));
    expect(res.status).toBe(200);
    expect(res.body.refusals).toEqual({ total: 2, byReason: { endpoint_disabled: 1, user_rate_limited: 1 } });
  });

  it('should count refusals per reason in the Prometheus metrics', async () => {
    const res = await request(ctx.app).get('/metrics');
    expect(res.text).toMatch(/llmguard_remediation_refusals_total\{reason="endpoint_disabled"\} [1-9]/);
    expect(res.text).toMatch(/llmguard_remediation_refusals_total\{reason="user_rate_limited"\} [1-9]/);
  });
});
