/**
 * Billing without Stripe (self-hosted): limits from configuration, unlimited by default; the
 * subscription read-out shows plan, limits and usage; invoices are an empty list; checkout and
 * portal validate first and then answer 503; webhooks are verified with the signing secret
 * alone; expected refusals log no error stack.
 */
import { Writable } from 'node:stream';
import request from 'supertest';
import { describe, expect, it } from 'vitest';
import { env } from '../../src/config/env.js';
import { planConfigFromEnv } from '../../src/config/plans.js';
import { billingConfigFromEnv } from '../../src/integrations/stripeClient.js';
import { applyRawLogRetention } from '../../src/services/analytics/logRetentionService.js';
import { createLogger } from '../../src/utils/logger.js';
import { bearer, createAdmin, createProject, registerUser } from '../helpers/factories.js';
import { postWebhook, signedEvent, WEBHOOK_SECRET } from '../helpers/fakeStripe.js';
import { useTestApp } from '../helpers/testApp.js';

/** Every log line the app writes, parsed, so a test can look for errors and stacks. */
const logLines: { level: number; msg?: string; err?: { stack?: string } }[] = [];
const capture = new Writable({
  write(chunk: Buffer, _enc, cb) {
    for (const line of chunk.toString().split('\n').filter(Boolean)) logLines.push(JSON.parse(line));
    cb();
  },
});
const logger = createLogger(capture, 'debug');
const errorLines = () => logLines.filter((l) => l.level >= 50 || l.err?.stack !== undefined);

// The environment as tests have it: no Stripe key, so self-hosted with the default plan.
expect(env.STRIPE_SECRET_KEY).toBeUndefined();
const unlimited = useTestApp({ logger, billing: billingConfigFromEnv(env, { webhookSecret: WEBHOOK_SECRET }) });
// Self-hosted with a named plan and a small configured request limit.
const LIMIT = 3;
const limited = useTestApp({
  logger,
  billing: billingConfigFromEnv({ ...env, SELF_HOSTED_PLAN: 'free', SELF_HOSTED_REQUESTS_PER_MONTH: LIMIT }),
});
// No webhook secret either: webhooks cannot be verified at all.
const bare = useTestApp({ logger, billing: billingConfigFromEnv(env) });

const monthStart = () => {
  const now = new Date();
  return new Date(Date.UTC(now.getUTCFullYear(), now.getUTCMonth(), 1));
};
const ingest = (app: typeof unlimited.app, apiKey: string) =>
  request(app).post('/api/v1/llm/request').set('X-API-Key', apiKey).send({ model: 'gpt-4o', prompt: 'hi', latencyMs: 3 });

describe('self-hosted billing, default (unlimited)', () => {
  it('should show the plan, its limits and the usage', async () => {
    const user = await registerUser(unlimited.app);
    const project = await createProject(unlimited.app, user);
    expect((await ingest(unlimited.app, project.apiKey)).status).toBe(201);
    const res = await request(unlimited.app).get('/api/v1/billing/subscription').set(bearer(user.accessToken));
    expect(res.status).toBe(200);
    expect(res.body).toMatchObject({
      mode: 'self-hosted',
      plan: 'unlimited',
      status: 'active',
      limits: { requestsPerPeriod: null, projects: null, logRetentionDays: null },
      usage: { requests: 1, limit: null, projects: 1, projectLimit: null, periodStart: monthStart().toISOString() },
    });
    const whoami = await request(unlimited.app).get('/api/v1/llm/whoami').set('X-API-Key', project.apiKey);
    expect(whoami.body.plan).toBe('unlimited');
  });

  it('should list no invoices', async () => {
    const user = await registerUser(unlimited.app);
    const res = await request(unlimited.app).get('/api/v1/billing/invoices').set(bearer(user.accessToken));
    expect(res.status).toBe(200);
    expect(res.body).toEqual({ data: [], page: 1, limit: 20, total: 0 });
  });

  it('should pass request 10,001 of a month (the free plan stopped at 10,000)', async () => {
    const user = await registerUser(unlimited.app);
    const project = await createProject(unlimited.app, user);
    expect((await ingest(unlimited.app, project.apiKey)).status).toBe(201);
    // 10,000 requests already counted this month (the counter the batch statement keeps).
    await unlimited.prisma.usageCounter.update({
      where: { userId_periodStart: { userId: user.id, periodStart: monthStart() } },
      data: { requests: 10_000n },
    });
    const res = await ingest(unlimited.app, project.apiKey);
    expect(res.status).toBe(201);
    const counter = await unlimited.prisma.usageCounter.findFirstOrThrow({ where: { userId: user.id } });
    expect(counter.requests).toBe(10_001n);
    const sub = await request(unlimited.app).get('/api/v1/billing/subscription').set(bearer(user.accessToken));
    expect(sub.body.usage.requests).toBe(10_001);
  });

  it('should allow more projects than the free plan (4 and more)', async () => {
    const user = await registerUser(unlimited.app);
    for (let i = 0; i < 5; i++) await createProject(unlimited.app, user, `p${i}`);
    expect(await unlimited.prisma.project.count({ where: { ownerId: user.id } })).toBe(5);
  });

  it('should keep old request rows (no retention limit)', async () => {
    const user = await registerUser(unlimited.app);
    const project = await createProject(unlimited.app, user);
    const res = await ingest(unlimited.app, project.apiKey);
    await unlimited.prisma.llmRequest.update({
      where: { id: res.body.id },
      data: { createdAt: new Date(Date.now() - 400 * 86_400_000) },
    });
    await applyRawLogRetention(unlimited.prisma, new Date(), 1000, planConfigFromEnv(env));
    expect(await unlimited.prisma.llmRequest.count({ where: { projectId: project.id } })).toBe(1);
  });

  it('should validate a checkout body first (400), then answer 503 for checkout and portal', async () => {
    const before = errorLines().length;
    const user = await registerUser(unlimited.app);
    const junk = await request(unlimited.app)
      .post('/api/v1/billing/checkout')
      .set(bearer(user.accessToken))
      .send({ plan: 'gold', extra: 1 });
    expect(junk.status).toBe(400);
    expect(junk.body.error.code).toBe('VALIDATION_ERROR');
    for (const call of [
      request(unlimited.app).post('/api/v1/billing/checkout').send({ plan: 'pro' }),
      request(unlimited.app).post('/api/v1/billing/portal'),
    ]) {
      const res = await call.set(bearer(user.accessToken));
      expect(res.status).toBe(503);
      expect(res.body.error).toMatchObject({ code: 'BILLING_NOT_CONFIGURED', requestId: expect.any(String) });
    }
    // Expected refusals: a warn line each, never an error with a stack.
    expect(errorLines().slice(before)).toEqual([]);
    expect(logLines.some((l) => l.level === 40 && /not configured/.test(l.msg ?? ''))).toBe(true);
  });

  it('should answer 400 to a forged or unsigned webhook and 200 to a signed one, with the secret alone', async () => {
    const forged = signedEvent('invoice.paid', { id: 'in_forged' }, { secret: 'whsec_someone_else_entirely' });
    const bad = await postWebhook(unlimited.app, forged);
    expect(bad.status).toBe(400);
    expect(bad.body.error.code).toBe('INVALID_SIGNATURE');
    const unsigned = await request(unlimited.app)
      .post('/api/v1/webhooks/stripe')
      .set('Content-Type', 'application/json')
      .send(forged.payload);
    expect(unsigned.status).toBe(400);
    expect(await unlimited.prisma.processedWebhookEvent.count()).toBe(0);
    const good = await postWebhook(unlimited.app, signedEvent('customer.created', { id: 'cus_1' }));
    expect(good.status).toBe(200);
    expect(good.body).toEqual({ received: true, duplicate: false });
  });

  it('should still require a token before answering', async () => {
    expect((await request(unlimited.app).get('/api/v1/billing/subscription')).status).toBe(401);
  });
});

describe('self-hosted billing with a configured plan and limit', () => {
  it('should enforce the configured request limit and show it', async () => {
    const user = await registerUser(limited.app);
    const project = await createProject(limited.app, user);
    for (let i = 0; i < LIMIT; i++) expect((await ingest(limited.app, project.apiKey)).status).toBe(201);
    const over = await ingest(limited.app, project.apiKey);
    expect(over.status).toBe(429);
    expect(over.body.error).toMatchObject({ code: 'QUOTA_EXCEEDED', details: { plan: 'free', limit: LIMIT } });
    const sub = await request(limited.app).get('/api/v1/billing/subscription').set(bearer(user.accessToken));
    expect(sub.body).toMatchObject({
      mode: 'self-hosted',
      plan: 'free',
      limits: { requestsPerPeriod: LIMIT, projects: 3, logRetentionDays: 7 },
      usage: { requests: LIMIT, limit: LIMIT, projects: 1, projectLimit: 3 },
    });
  });

  it("should enforce the named plan's project limit", async () => {
    const user = await registerUser(limited.app);
    for (let i = 0; i < 3; i++) await createProject(limited.app, user, `p${i}`);
    const res = await request(limited.app).post('/api/v1/projects').set(bearer(user.accessToken)).send({ name: 'p4' });
    expect(res.status).toBe(403);
    expect(res.body.error).toMatchObject({ code: 'PLAN_LIMIT', details: { plan: 'free', limit: 3 } });
  });
});

describe('self-hosted billing without a webhook secret', () => {
  it('should answer 503 to webhooks and admin refunds, storing nothing', async () => {
    const admin = await createAdmin(bare.app, bare.prisma);
    const webhook = await postWebhook(bare.app, signedEvent('invoice.paid', { id: 'in_1' }));
    expect(webhook.status).toBe(503);
    expect(webhook.body.error.code).toBe('BILLING_NOT_CONFIGURED');
    expect(await bare.prisma.processedWebhookEvent.count()).toBe(0);
    const refund = await request(bare.app)
      .post('/api/v1/admin/billing/refunds')
      .set(bearer(admin.accessToken))
      .send({ invoiceId: 'in_1' });
    expect(refund.status).toBe(503);
  });
});
