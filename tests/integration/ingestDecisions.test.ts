import request from 'supertest';
import { beforeAll, describe, expect, it } from 'vitest';
import { bearer, createProject, registerUser, type TestUser } from '../helpers/factories.js';
import { useTestApp } from '../helpers/testApp.js';

const ctx = useTestApp();
let user: TestUser;

beforeAll(async () => {
  user = await registerUser(ctx.app);
  await ctx.prisma.subscription.create({ data: { userId: user.id, plan: 'pro', status: 'active' } });
});

async function projectWith(path: 'project' | 'model-settings', settings: Record<string, unknown>) {
  const p = await createProject(ctx.app, user);
  const res = await request(ctx.app)
    .post(`/api/v1/settings/${path}?projectId=${p.id}`)
    .set(bearer(user.accessToken))
    .send(settings);
  expect(res.status).toBe(200);
  return p;
}

const ingest = (key: string, over: Record<string, unknown>) =>
  request(ctx.app)
    .post('/api/v1/llm/request')
    .set('X-API-Key', key)
    .send({ model: 'gpt-4o', prompt: 'Summarise the report.', latencyMs: 10, ...over });

const PII_PROMPT = 'Email jane.doe@example.com about card 4111 1111 1111 1111';

describe('PII kept out of storage', () => {
  it('should store the redacted prompt and response, never the PII, when piiMode is block', async () => {
    const p = await projectWith('project', { piiMode: 'block' });
    const res = await ingest(p.apiKey, { prompt: PII_PROMPT, response: 'Sent to jane.doe@example.com' });
    expect(res.status).toBe(201);
    expect(res.body.decision).toBe('block');
    expect(res.body.riskFlags).toContain('pii:blocked');
    const row = await ctx.prisma.llmRequest.findUniqueOrThrow({ where: { id: res.body.id } });
    expect(row.piiRedacted).toBe(true);
    expect(row.prompt).toBe('Email [EMAIL] about card [CREDIT_CARD]');
    expect(row.response).toBe('Sent to [EMAIL]');
    const anywhere = await ctx.prisma.$queryRaw<{ n: bigint }[]>`
      SELECT count(*) AS n FROM llm_requests WHERE "projectId" = ${p.id}
        AND (prompt LIKE '%jane.doe%' OR response LIKE '%jane.doe%' OR prompt LIKE '%4111%')`;
    expect(Number(anywhere[0]!.n)).toBe(0);
  });

  it('should block a call whose only PII is in the response when piiMode is block, storing it redacted', async () => {
    const p = await projectWith('project', { piiMode: 'block' });
    const res = await ingest(p.apiKey, { response: 'Her address is jane.doe@example.com' });
    expect(res.body.decision).toBe('block');
    const row = await ctx.prisma.llmRequest.findUniqueOrThrow({ where: { id: res.body.id } });
    expect(row.response).toBe('Her address is [EMAIL]');
  });

  it('should answer the redacted prompt when piiMode is redact, so the app can forward it', async () => {
    const p = await projectWith('project', { piiMode: 'redact' });
    const res = await ingest(p.apiKey, { prompt: PII_PROMPT });
    expect(res.status).toBe(201);
    expect(res.body.redactedPrompt).toBe('Email [EMAIL] about card [CREDIT_CARD]');
    expect(res.body.decision).toBe('flag');
  });

  it('should answer redactedPrompt null when nothing was redacted', async () => {
    const p = await projectWith('project', { piiMode: 'redact' });
    const res = await ingest(p.apiKey, {});
    expect(res.body.redactedPrompt).toBeNull();
    expect(res.body.decision).toBe('allow');
  });
});

describe('decisions', () => {
  it('should flag a call whose model is outside allowedModels and was replaced by the fallback', async () => {
    const p = await projectWith('model-settings', { allowedModels: ['gpt-4o-mini'], fallbackModel: 'gpt-4o-mini' });
    const res = await ingest(p.apiKey, { model: 'gpt-4o' });
    expect(res.status).toBe(201);
    expect(res.body).toMatchObject({ effectiveModel: 'gpt-4o-mini', decision: 'flag' });
    expect(res.body.riskFlags).toContain('model:not_allowed');
    const row = await ctx.prisma.llmRequest.findUniqueOrThrow({ where: { id: res.body.id } });
    expect(row.decision).toBe('flag');
  });

  it('should allow an allowed model with a clean prompt', async () => {
    const p = await projectWith('model-settings', { allowedModels: ['gpt-4o'] });
    const res = await ingest(p.apiKey, {});
    expect(res.body).toMatchObject({ effectiveModel: 'gpt-4o', decision: 'allow', riskFlags: [] });
  });

  it('should flag PII that only the response carries', async () => {
    const p = await projectWith('project', { piiMode: 'off' });
    const res = await ingest(p.apiKey, { response: 'Her address is jane.doe@example.com' });
    expect(res.body.riskFlags).toContain('response:pii:email');
    expect(res.body.decision).toBe('flag');
  });
});
