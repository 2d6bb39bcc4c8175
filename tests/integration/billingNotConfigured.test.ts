/** The app as the environment builds it, with no Stripe keys: billing answers 503, free usage works. */
import request from 'supertest';
import { describe, expect, it } from 'vitest';
import { bearer, createAdmin, createProject, registerUser } from '../helpers/factories.js';
import { useTestApp } from '../helpers/testApp.js';

const ctx = useTestApp();

describe('billing without Stripe keys', () => {
  it('should answer 503 BILLING_NOT_CONFIGURED on every billing endpoint', async () => {
    const user = await registerUser(ctx.app);
    const calls = [
      request(ctx.app).post('/api/v1/billing/checkout').send({ plan: 'pro' }),
      request(ctx.app).post('/api/v1/billing/portal'),
      request(ctx.app).get('/api/v1/billing/invoices'),
      request(ctx.app).get('/api/v1/billing/subscription'),
    ];
    for (const call of calls) {
      const res = await call.set(bearer(user.accessToken));
      expect(res.status).toBe(503);
      expect(res.body.error).toMatchObject({ code: 'BILLING_NOT_CONFIGURED', requestId: expect.any(String) });
    }
  });

  it('should answer 503 to webhooks and admin refunds, storing nothing', async () => {
    const admin = await createAdmin(ctx.app, ctx.prisma);
    const webhook = await request(ctx.app)
      .post('/api/v1/webhooks/stripe')
      .set('Stripe-Signature', 't=1,v1=abc')
      .send({ id: 'evt_1', type: 'invoice.paid' });
    expect(webhook.status).toBe(503);
    expect(webhook.body.error.code).toBe('BILLING_NOT_CONFIGURED');
    expect(await ctx.prisma.processedWebhookEvent.count()).toBe(0);
    const refund = await request(ctx.app)
      .post('/api/v1/admin/billing/refunds')
      .set(bearer(admin.accessToken))
      .send({ invoiceId: 'in_1' });
    expect(refund.status).toBe(503);
  });

  it('should still serve the free plan: projects, ingestion counted against the free quota', async () => {
    const user = await registerUser(ctx.app);
    const project = await createProject(ctx.app, user);
    const whoami = await request(ctx.app).get('/api/v1/llm/whoami').set('X-API-Key', project.apiKey);
    expect(whoami.body.plan).toBe('free');
    const res = await request(ctx.app)
      .post('/api/v1/llm/request')
      .set('X-API-Key', project.apiKey)
      .send({ model: 'gpt-4o', prompt: 'hello', latencyMs: 12 });
    expect(res.status).toBe(201);
    const counter = await ctx.prisma.usageCounter.findFirstOrThrow({ where: { userId: user.id } });
    expect(counter.requests).toBe(1n);
  });

  it('should still require a token before saying billing is off', async () => {
    expect((await request(ctx.app).get('/api/v1/billing/subscription')).status).toBe(401);
  });
});
