/**
 * Billing endpoints against a local fake of the Stripe API: what we answer, and what Stripe
 * received (customer reuse, price, metadata, idempotency keys).
 */
import request from 'supertest';
import { describe, expect, it } from 'vitest';
import {
  checkoutResponse,
  invoiceListResponse,
  portalResponse,
  refundResponse,
  subscriptionResponse,
} from '../../src/validators/billingValidators.js';
import { bearer, createAdmin, createProject, registerUser, type TestUser } from '../helpers/factories.js';
import { FAKE_PRICES, useFakeStripe } from '../helpers/fakeStripe.js';
import { useTestApp } from '../helpers/testApp.js';

const stripe = useFakeStripe();
const ctx = useTestApp(stripe.deps);

const checkout = (user: TestUser, plan: string) =>
  request(ctx.app).post('/api/v1/billing/checkout').set(bearer(user.accessToken)).send({ plan });

/** Idempotency keys are `intent:ids...:<minute>`. */
const keyParts = (key: string | null) => key?.split(':');
const MINUTE = expect.stringMatching(/^\d+$/);

/** Idempotency keys are per minute: keep a pair of calls from straddling a minute boundary. */
async function awayFromMinuteEdge() {
  const into = Date.now() % 60_000;
  if (into > 57_000) await new Promise((r) => setTimeout(r, 60_000 - into + 50));
}

describe('POST /billing/checkout', () => {
  it('should return a Checkout URL and send Stripe a subscription session for the plan price', async () => {
    const user = await registerUser(ctx.app);
    const res = await checkout(user, 'pro');
    expect(res.status).toBe(200);
    const body = checkoutResponse.parse(res.body);
    expect(body.url).toBe(`https://checkout.stripe.com/c/pay/${body.sessionId}`);

    const [customerCall] = stripe.fake.calls('/v1/customers').filter((r) => r.body['metadata[userId]'] === user.id);
    expect(customerCall).toMatchObject({
      body: { email: user.email, 'metadata[userId]': user.id },
      idempotencyKey: `customer:${user.id}`,
      authorization: 'Bearer sk_test_fake_key',
    });
    const session = stripe.fake.calls('/v1/checkout/sessions').at(-1)!;
    const stored = await ctx.prisma.subscription.findUniqueOrThrow({ where: { userId: user.id } });
    expect(session.body).toMatchObject({
      mode: 'subscription',
      customer: stored.stripeCustomerId,
      client_reference_id: user.id,
      'line_items[0][price]': FAKE_PRICES.pro,
      'line_items[0][quantity]': '1',
      success_url: 'https://app.llmguard.test/billing/success?session_id={CHECKOUT_SESSION_ID}',
      cancel_url: 'https://app.llmguard.test/billing/cancel',
      'metadata[userId]': user.id,
      'metadata[plan]': 'pro',
      'subscription_data[metadata][userId]': user.id,
      'subscription_data[metadata][plan]': 'pro',
    });
    expect(keyParts(session.idempotencyKey)).toEqual(['checkout', user.id, 'pro', MINUTE]);
    expect(stored).toMatchObject({ plan: 'free', stripeSubscriptionId: null });
    expect(await ctx.prisma.auditLog.count({ where: { action: 'billing.checkout', targetId: user.id } })).toBe(1);
  });

  it('should reuse the Stripe customer on a second checkout', async () => {
    const user = await registerUser(ctx.app);
    expect((await checkout(user, 'pro')).status).toBe(200);
    expect((await checkout(user, 'enterprise')).status).toBe(200);
    const customers = stripe.fake.calls('/v1/customers').filter((r) => r.body['metadata[userId]'] === user.id);
    expect(customers).toHaveLength(1);
    const sessions = stripe.fake.calls('/v1/checkout/sessions').filter((r) => r.body.client_reference_id === user.id);
    expect(sessions).toHaveLength(2);
    expect(sessions[0]!.body.customer).toBe(sessions[1]!.body.customer);
    expect(sessions[1]!.body['line_items[0][price]']).toBe(FAKE_PRICES.enterprise);
  });

  it('should give a double click the same session through the idempotency key', async () => {
    const user = await registerUser(ctx.app);
    await awayFromMinuteEdge();
    const first = await checkout(user, 'pro');
    const second = await checkout(user, 'pro');
    expect(second.body.sessionId).toBe(first.body.sessionId);
    const sessions = stripe.fake.calls('/v1/checkout/sessions').filter((r) => r.body.client_reference_id === user.id);
    expect(sessions.map((s) => s.idempotencyKey)).toEqual([sessions[0]!.idempotencyKey, sessions[0]!.idempotencyKey]);
  });

  it('should refuse the free plan and unknown plans with 400', async () => {
    const user = await registerUser(ctx.app);
    for (const plan of ['free', 'platinum']) {
      const res = await checkout(user, plan);
      expect(res.status).toBe(400);
      expect(res.body.error.code).toBe('VALIDATION_ERROR');
    }
  });

  it('should answer 409 when the user already has a live subscription', async () => {
    const user = await registerUser(ctx.app);
    await ctx.prisma.subscription.create({
      data: {
        userId: user.id,
        plan: 'pro',
        status: 'active',
        stripeCustomerId: `cus_${user.id}`,
        stripeSubscriptionId: `sub_${user.id}`,
      },
    });
    const res = await checkout(user, 'enterprise');
    expect(res.status).toBe(409);
    expect(res.body.error.code).toBe('CONFLICT');
  });

  it('should answer 502 PAYMENT_PROVIDER_ERROR without Stripe details when Stripe fails', async () => {
    const user = await registerUser(ctx.app);
    stripe.fake.failNext('/v1/checkout/sessions', 500);
    const res = await checkout(user, 'pro');
    expect(res.status).toBe(502);
    expect(res.body.error.code).toBe('PAYMENT_PROVIDER_ERROR');
    expect(JSON.stringify(res.body)).not.toContain('Injected failure');
  });

  it('should require a token', async () => {
    expect((await request(ctx.app).post('/api/v1/billing/checkout').send({ plan: 'pro' })).status).toBe(401);
  });
});

describe('POST /billing/portal', () => {
  it('should answer 409 before the user has a Stripe customer', async () => {
    const user = await registerUser(ctx.app);
    const res = await request(ctx.app).post('/api/v1/billing/portal').set(bearer(user.accessToken));
    expect(res.status).toBe(409);
    expect(res.body.error.code).toBe('CONFLICT');
  });

  it('should open a portal session for the user customer with the return URL', async () => {
    const user = await registerUser(ctx.app);
    await checkout(user, 'pro');
    const res = await request(ctx.app).post('/api/v1/billing/portal').set(bearer(user.accessToken));
    expect(res.status).toBe(200);
    expect(portalResponse.parse(res.body).url).toMatch(/^https:\/\/billing\.stripe\.com\/p\/session\//);
    const { stripeCustomerId } = await ctx.prisma.subscription.findUniqueOrThrow({ where: { userId: user.id } });
    expect(stripe.fake.calls('/v1/billing_portal/sessions').at(-1)).toMatchObject({
      body: { customer: stripeCustomerId, return_url: 'https://app.llmguard.test/billing' },
    });
    expect(keyParts(stripe.fake.calls('/v1/billing_portal/sessions').at(-1)!.idempotencyKey)).toEqual([
      'portal',
      user.id,
      MINUTE,
    ]);
  });
});

describe('GET /billing/invoices and /billing/subscription', () => {
  it('should list only the caller invoices, newest first, paginated', async () => {
    const user = await registerUser(ctx.app);
    const other = await registerUser(ctx.app);
    const row = (userId: string, n: number) => ({
      userId,
      stripeInvoiceId: `in_${userId}_${n}`,
      number: `INV-${n}`,
      status: 'paid',
      currency: 'usd',
      amountDue: 4900,
      amountPaid: 4900,
      hostedInvoiceUrl: `https://invoice.stripe.com/i/${n}`,
      createdAt: new Date(Date.now() - (10 - n) * 86_400_000),
    });
    await ctx.prisma.invoice.createMany({
      data: [row(user.id, 1), row(user.id, 2), row(user.id, 3), row(other.id, 4)],
    });
    const res = await request(ctx.app).get('/api/v1/billing/invoices?limit=2').set(bearer(user.accessToken));
    expect(res.status).toBe(200);
    const body = invoiceListResponse.parse(res.body);
    expect(body).toMatchObject({ page: 1, limit: 2, total: 3 });
    expect(body.data.map((i) => i.number)).toEqual(['INV-3', 'INV-2']);
    expect(body.data[0]!.hostedInvoiceUrl).toBe('https://invoice.stripe.com/i/3');
  });

  it('should show a new user on free with this month usage against the free limits', async () => {
    const user = await registerUser(ctx.app);
    const project = await createProject(ctx.app, user);
    for (let i = 0; i < 2; i++) {
      const r = await request(ctx.app)
        .post('/api/v1/llm/request')
        .set('X-API-Key', project.apiKey)
        .send({ model: 'gpt-4o', prompt: 'hi', latencyMs: 3 });
      expect(r.status).toBe(201);
    }
    const res = await request(ctx.app).get('/api/v1/billing/subscription').set(bearer(user.accessToken));
    expect(res.status).toBe(200);
    const body = subscriptionResponse.parse(res.body);
    const now = new Date();
    expect(body).toMatchObject({
      plan: 'free',
      status: 'active',
      currentPeriodEnd: null,
      usage: { requests: 2, limit: 10_000, projects: 1, projectLimit: 3 },
    });
    expect(body.usage.resetAt).toBe(new Date(Date.UTC(now.getUTCFullYear(), now.getUTCMonth() + 1, 1)).toISOString());
  });
});

describe('POST /admin/billing/refunds', () => {
  async function paidInvoice(userId: string, stripeChargeId: string | null) {
    return ctx.prisma.invoice.create({
      data: {
        userId,
        stripeInvoiceId: `in_refund_${Math.random().toString(36).slice(2)}`,
        stripeChargeId,
        status: 'paid',
        currency: 'usd',
        amountDue: 4900,
        amountPaid: 4900,
      },
    });
  }
  const refund = (token: string, body: object) =>
    request(ctx.app).post('/api/v1/admin/billing/refunds').set(bearer(token)).send(body);

  it('should refund part of an invoice through its charge, audit it, and leave the row to the webhook', async () => {
    const admin = await createAdmin(ctx.app, ctx.prisma);
    const user = await registerUser(ctx.app);
    const invoice = await paidInvoice(user.id, 'ch_refund_1');
    const res = await refund(admin.accessToken, { invoiceId: invoice.id, amount: 1000 });
    expect(res.status).toBe(201);
    expect(refundResponse.parse(res.body).refund).toMatchObject({
      invoiceId: invoice.id,
      amount: 1000,
      status: 'succeeded',
    });
    expect(stripe.fake.calls('/v1/refunds').at(-1)).toMatchObject({
      body: {
        charge: 'ch_refund_1',
        amount: '1000',
        'metadata[invoiceId]': invoice.id,
        'metadata[stripeInvoiceId]': invoice.stripeInvoiceId,
        'metadata[requestedBy]': admin.id,
      },
    });
    expect(keyParts(stripe.fake.calls('/v1/refunds').at(-1)!.idempotencyKey)).toEqual([
      'refund',
      invoice.id,
      '1000',
      '0',
      MINUTE,
    ]);
    const audit = await ctx.prisma.auditLog.findFirstOrThrow({
      where: { action: 'billing.refund', targetId: invoice.id },
    });
    expect(audit).toMatchObject({ actorId: admin.id, metadata: expect.objectContaining({ amount: 1000 }) });
    expect((await ctx.prisma.invoice.findUniqueOrThrow({ where: { id: invoice.id } })).amountRefunded).toBe(0);
  });

  it('should refund all that is left through the payment intent Stripe reports for the invoice', async () => {
    const admin = await createAdmin(ctx.app, ctx.prisma);
    const user = await registerUser(ctx.app);
    const invoice = await paidInvoice(user.id, null);
    stripe.fake.invoicePayments.push({
      id: 'inpay_1',
      object: 'invoice_payment',
      invoice: invoice.stripeInvoiceId,
      payment: { type: 'payment_intent', payment_intent: 'pi_refund_2' },
    });
    const res = await refund(admin.accessToken, { invoiceId: invoice.stripeInvoiceId });
    expect(res.status).toBe(201);
    expect(stripe.fake.calls('/v1/invoice_payments', 'GET').at(-1)!.query).toMatchObject({
      invoice: invoice.stripeInvoiceId,
    });
    expect(stripe.fake.calls('/v1/refunds').at(-1)!.body).toMatchObject({
      payment_intent: 'pi_refund_2',
      amount: '4900',
    });
  });

  it('should refuse more than is left (400), unknown invoices (404) and non-admins (403)', async () => {
    const admin = await createAdmin(ctx.app, ctx.prisma);
    const user = await registerUser(ctx.app);
    const invoice = await paidInvoice(user.id, 'ch_refund_3');
    const before = stripe.fake.calls('/v1/refunds').length;
    const tooMuch = await refund(admin.accessToken, { invoiceId: invoice.id, amount: 5000 });
    expect(tooMuch.status).toBe(400);
    expect(tooMuch.body.error.details[0].path).toBe('amount');
    expect((await refund(admin.accessToken, { invoiceId: 'in_missing' })).status).toBe(404);
    const notAdmin = await refund(user.accessToken, { invoiceId: invoice.id });
    expect(notAdmin.status).toBe(403);
    expect(stripe.fake.calls('/v1/refunds').length).toBe(before);
  });
});
