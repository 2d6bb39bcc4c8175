/**
 * Plan quotas with small injected limits (free 5 requests, pro 8): the boundary, concurrency
 * without overshoot, the 429 with its reset time, upgrades, past_due grace, and project limits.
 */
import request from 'supertest';
import { describe, expect, it } from 'vitest';
import { bearer, createProject, registerUser, type TestUser } from '../helpers/factories.js';
import {
  checkoutSessionObject,
  fakeBilling,
  invoiceObject,
  postWebhook,
  signedEvent,
  subscriptionObject,
} from '../helpers/fakeStripe.js';
import { IngestWriter, type LlmRequestRow } from '../../src/services/ingest/ingestWriter.js';
import { AppError } from '../../src/utils/AppError.js';
import { uuidv7 } from '../../src/utils/ids.js';
import { useTestApp } from '../helpers/testApp.js';

const FREE_LIMIT = 5;
const PRO_LIMIT = 8;
// No Stripe API call happens here (webhook signatures are checked locally), so no fake server.
const ctx = useTestApp({
  billing: fakeBilling({ port: 9 }, { free: { requestsPerPeriod: FREE_LIMIT }, pro: { requestsPerPeriod: PRO_LIMIT } }),
});

const DAY = 86_400_000;
const ingest = (apiKey: string) =>
  request(ctx.app)
    .post('/api/v1/llm/request')
    .set('X-API-Key', apiKey)
    .send({ model: 'gpt-4o', prompt: 'hi', latencyMs: 4 });
const statuses = async (apiKey: string, n: number) => {
  const out: number[] = [];
  for (let i = 0; i < n; i++) out.push((await ingest(apiKey)).status);
  return out;
};
const monthStart = () => {
  const now = new Date();
  return new Date(Date.UTC(now.getUTCFullYear(), now.getUTCMonth(), 1));
};
const nextMonthStart = () => {
  const now = new Date();
  return new Date(Date.UTC(now.getUTCFullYear(), now.getUTCMonth() + 1, 1));
};
const stored = (projectId: string) => ctx.prisma.llmRequest.count({ where: { projectId } });
const send = (signed: { payload: string; signature: string }) => postWebhook(ctx.app, signed);

/** Puts the user on pro through the two webhooks Stripe sends after a checkout. */
async function upgradeToPro(user: TestUser, options: { created?: number; periodStart?: Date } = {}) {
  const tag = user.id.replace(/-/g, '').slice(-12);
  const created = options.created ?? Math.floor(Date.now() / 1000);
  const ids = { customer: `cus_${tag}`, subscription: `sub_${tag}` };
  await ctx.prisma.subscription.create({ data: { userId: user.id, stripeCustomerId: ids.customer } });
  const session = checkoutSessionObject({
    userId: user.id,
    customer: ids.customer,
    subscription: ids.subscription,
    plan: 'pro',
  });
  const sub = subscriptionObject({
    id: ids.subscription,
    customer: ids.customer,
    plan: 'pro',
    periodStart: options.periodStart,
  });
  expect((await send(signedEvent('checkout.session.completed', session, { created }))).status).toBe(200);
  expect((await send(signedEvent('customer.subscription.created', sub, { created }))).status).toBe(200);
  return ids;
}

describe('request quota', () => {
  it('should accept up to the limit and answer 429 QUOTA_EXCEEDED with the reset time one past it', async () => {
    const user = await registerUser(ctx.app);
    const project = await createProject(ctx.app, user);
    expect(await statuses(project.apiKey, FREE_LIMIT - 1)).toEqual(Array(FREE_LIMIT - 1).fill(201));
    expect((await ingest(project.apiKey)).status).toBe(201); // the limit itself
    const over = await ingest(project.apiKey);
    expect(over.status).toBe(429);
    expect(over.body.error).toMatchObject({
      code: 'QUOTA_EXCEEDED',
      details: { plan: 'free', limit: FREE_LIMIT, resetAt: nextMonthStart().toISOString() },
    });
    const expected = Math.ceil((nextMonthStart().getTime() - Date.now()) / 1000);
    expect(Math.abs(Number(over.headers['retry-after']) - expected)).toBeLessThanOrEqual(5);
    expect(await stored(project.id)).toBe(FREE_LIMIT);
    const counter = await ctx.prisma.usageCounter.findUniqueOrThrow({
      where: { userId_periodStart: { userId: user.id, periodStart: monthStart() } },
    });
    expect(counter.requests).toBe(BigInt(FREE_LIMIT));
  });

  it('should never overshoot under concurrent requests', async () => {
    const user = await registerUser(ctx.app);
    const project = await createProject(ctx.app, user);
    const results = await Promise.all(Array.from({ length: 20 }, () => ingest(project.apiKey)));
    const codes = results.map((r) => r.status).sort();
    expect(codes.filter((c) => c === 201)).toHaveLength(FREE_LIMIT);
    expect(codes.filter((c) => c === 429)).toHaveLength(20 - FREE_LIMIT);
    expect(await stored(project.id)).toBe(FREE_LIMIT);
  });

  it('should grant a concurrent burst of exactly the limit in full', async () => {
    const user = await registerUser(ctx.app);
    const project = await createProject(ctx.app, user);
    const results = await Promise.all(Array.from({ length: FREE_LIMIT }, () => ingest(project.apiKey)));
    expect(results.map((r) => r.status)).toEqual(Array(FREE_LIMIT).fill(201));
    expect((await ingest(project.apiKey)).status).toBe(429);
  });

  it('should let exactly one of many concurrent requests take the last unit (limit-1 used)', async () => {
    const user = await registerUser(ctx.app);
    const project = await createProject(ctx.app, user);
    await ctx.prisma.usageCounter.create({
      data: { userId: user.id, periodStart: monthStart(), requests: BigInt(FREE_LIMIT - 1) },
    });
    const results = await Promise.all(Array.from({ length: 10 }, () => ingest(project.apiKey)));
    expect(results.filter((r) => r.status === 201)).toHaveLength(1);
    const counter = await ctx.prisma.usageCounter.findFirstOrThrow({ where: { userId: user.id } });
    expect(counter.requests).toBe(BigInt(FREE_LIMIT));
  });

  it('should count all projects of one owner against the same quota', async () => {
    const user = await registerUser(ctx.app);
    const a = await createProject(ctx.app, user, 'A');
    const b = await createProject(ctx.app, user, 'B');
    await statuses(a.apiKey, 3);
    expect(await statuses(b.apiKey, 3)).toEqual([201, 201, 429]);
  });

  it('should store exactly the counted rows when two replicas write one owner at once', async () => {
    const user = await registerUser(ctx.app);
    const project = await createProject(ctx.app, user);
    const limit = 25;
    const row = (): LlmRequestRow => ({
      ...{ id: uuidv7(), projectId: project.id, apiKeyId: null, model: 'gpt-4o', effectiveModel: 'gpt-4o' },
      ...{ endpoint: null, endUserId: null, prompt: 'p', response: null, systemPrompt: null, latencyMs: 1 },
      ...{ promptTokens: null, completionTokens: null, totalTokens: null, status: 'success', error: null },
      ...{ metadata: null, riskScore: 0, riskLevel: 'low', riskFlags: [], decision: 'allow', costUsd: null },
      ...{ piiRedacted: false, createdAt: new Date() },
    });
    const counter = {
      userId: user.id,
      periodStart: monthStart(),
      limit,
      refusal: () => new AppError('QUOTA_EXCEEDED', 'full'),
    };
    // Two writers (as on two replicas), each committing small batches concurrently.
    const writers = [0, 1].map(() => new IngestWriter(ctx.prisma, { maxBatch: 4, maxWaitMs: 1, concurrency: 2 }));
    const results = await Promise.allSettled(
      Array.from({ length: 60 }, (_, i) => writers[i % 2]!.write(row(), counter)),
    );
    expect(results.filter((r) => r.status === 'fulfilled')).toHaveLength(limit);
    for (const r of results) {
      if (r.status === 'rejected') expect((r.reason as AppError).code).toBe('QUOTA_EXCEEDED');
    }
    expect(await stored(project.id)).toBe(limit);
    const usage = await ctx.prisma.usageCounter.findUniqueOrThrow({
      where: { userId_periodStart: { userId: user.id, periodStart: monthStart() } },
    });
    expect(usage.requests).toBe(BigInt(limit));
  });

  it('should raise the quota at once when checkout webhooks move the user to pro', async () => {
    const user = await registerUser(ctx.app);
    const project = await createProject(ctx.app, user);
    await statuses(project.apiKey, FREE_LIMIT);
    expect((await ingest(project.apiKey)).status).toBe(429);
    await upgradeToPro(user);
    expect(await statuses(project.apiKey, PRO_LIMIT)).toEqual(Array(PRO_LIMIT).fill(201));
    const over = await ingest(project.apiKey);
    expect(over.status).toBe(429);
    const { currentPeriodEnd } = await ctx.prisma.subscription.findUniqueOrThrow({ where: { userId: user.id } });
    expect(over.body.error.details).toEqual({
      plan: 'pro',
      limit: PRO_LIMIT,
      resetAt: currentPeriodEnd!.toISOString(),
    });
  });
});

describe('past_due grace period (7 days)', () => {
  async function pastDueFor(days: number) {
    const user = await registerUser(ctx.app);
    const project = await createProject(ctx.app, user);
    const failedAt = Math.floor((Date.now() - days * DAY) / 1000);
    const ids = await upgradeToPro(user, {
      created: failedAt - 60,
      periodStart: new Date(Date.now() - (days + 1) * DAY),
    });
    const failed = invoiceObject({
      id: `in_${ids.subscription}`,
      customer: ids.customer,
      subscription: ids.subscription,
      status: 'open',
    });
    expect((await send(signedEvent('invoice.payment_failed', failed, { created: failedAt }))).status).toBe(200);
    return project;
  }

  it('should keep pro limits while the grace period runs', async () => {
    const project = await pastDueFor(3);
    expect(await statuses(project.apiKey, FREE_LIMIT + 1)).toEqual(Array(FREE_LIMIT + 1).fill(201));
  });

  it('should fall back to free limits once the grace period is over', async () => {
    const project = await pastDueFor(8);
    const codes = await statuses(project.apiKey, FREE_LIMIT + 1);
    expect(codes).toEqual([...Array(FREE_LIMIT).fill(201), 429]);
  });
});

describe('project limit', () => {
  const create = (user: TestUser, name = 'p') =>
    request(ctx.app).post('/api/v1/projects').set(bearer(user.accessToken)).send({ name });

  it('should answer 403 PLAN_LIMIT past the free plan project limit, and accept again after a delete', async () => {
    const user = await registerUser(ctx.app);
    const ids: string[] = [];
    for (let i = 0; i < 3; i++) ids.push((await createProject(ctx.app, user)).id);
    const res = await create(user);
    expect(res.status).toBe(403);
    expect(res.body.error).toMatchObject({ code: 'PLAN_LIMIT', details: { plan: 'free', limit: 3 } });
    expect(await ctx.prisma.project.count({ where: { ownerId: user.id } })).toBe(3);
    await request(ctx.app).delete(`/api/v1/projects/${ids[0]}`).set(bearer(user.accessToken));
    expect((await create(user)).status).toBe(201);
  });

  it('should not overshoot the project limit under concurrent creations', async () => {
    const user = await registerUser(ctx.app);
    const results = await Promise.all(Array.from({ length: 6 }, (_, i) => create(user, `c${i}`)));
    expect(results.filter((r) => r.status === 201)).toHaveLength(3);
    expect(results.filter((r) => r.status === 403)).toHaveLength(3);
  });

  it('should allow more projects on pro', async () => {
    const user = await registerUser(ctx.app);
    await upgradeToPro(user);
    for (let i = 0; i < 4; i++) expect((await create(user, `pro${i}`)).status).toBe(201);
  });
});
