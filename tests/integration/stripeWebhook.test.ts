/**
 * POST /webhooks/stripe with events signed by the SDK's own test-header helper: signature
 * checks, exactly-once processing, each event type's effect and out-of-order safety.
 */
import request from 'supertest';
import { describe, expect, it } from 'vitest';
import { PLANS } from '../../src/config/plans.js';
import { subscriptionResponse, webhookResponse } from '../../src/validators/billingValidators.js';
import { bearer, createProject, registerUser } from '../helpers/factories.js';
import {
  chargeObject,
  checkoutSessionObject,
  FAKE_PRICES,
  invoiceObject,
  postWebhook,
  signedEvent,
  signedPayload,
  subscriptionObject,
  useFakeStripe,
} from '../helpers/fakeStripe.js';
import { useTestApp } from '../helpers/testApp.js';

const stripe = useFakeStripe();
const ctx = useTestApp(stripe.deps);

const send = (signed: { payload: string; signature: string }) => postWebhook(ctx.app, signed);
const nowS = () => Math.floor(Date.now() / 1000);
const DAY = 86_400_000;

type SubscriptionFields = Partial<Parameters<typeof subscriptionObject>[0]>;

/** A user whose Stripe customer exists (as after POST /billing/checkout), and its subscription events. */
async function customer() {
  const user = await registerUser(ctx.app);
  const tag = user.id.replace(/-/g, '').slice(-12);
  const customerId = `cus_${tag}`;
  const subId = `sub_${tag}`;
  await ctx.prisma.subscription.create({ data: { userId: user.id, stripeCustomerId: customerId } });
  /** A signed customer.subscription.<type> event about this customer's subscription (pro unless said). */
  const subEvent = (
    type: 'created' | 'updated' | 'deleted',
    options: Parameters<typeof signedEvent>[2] = {},
    fields: SubscriptionFields = {},
  ) =>
    signedEvent(
      `customer.subscription.${type}`,
      subscriptionObject({ id: subId, customer: customerId, plan: 'pro', ...fields }),
      options,
    );
  return { user, customerId, subId, subEvent };
}
const subscriptionRow = (userId: string) => ctx.prisma.subscription.findUniqueOrThrow({ where: { userId } });

describe('done when: a new user upgrades through checkout', () => {
  it('should move the user to pro after checkout.session.completed + customer.subscription.created', async () => {
    const user = await registerUser(ctx.app);
    const project = await createProject(ctx.app, user);
    const checkout = await request(ctx.app)
      .post('/api/v1/billing/checkout')
      .set(bearer(user.accessToken))
      .send({ plan: 'pro' });
    expect(checkout.status).toBe(200);
    expect(checkout.body.url).toMatch(/^https:\/\/checkout\.stripe\.com\//);
    const whoami = () => request(ctx.app).get('/api/v1/llm/whoami').set('X-API-Key', project.apiKey);
    expect((await whoami()).body.plan).toBe('free');

    const customerId = stripe.fake.calls('/v1/checkout/sessions').at(-1)!.body.customer!;
    const periodEnd = new Date(Date.now() + 30 * DAY);
    const t = nowS();
    const completed = await send(
      signedEvent(
        'checkout.session.completed',
        checkoutSessionObject({
          id: checkout.body.sessionId,
          userId: user.id,
          customer: customerId,
          subscription: 'sub_done',
          plan: 'pro',
        }),
        { created: t },
      ),
    );
    expect(completed.status).toBe(200);
    expect(webhookResponse.parse(completed.body)).toEqual({ received: true, duplicate: false });
    const created = await send(
      signedEvent(
        'customer.subscription.created',
        subscriptionObject({ id: 'sub_done', customer: customerId, plan: 'pro', periodEnd, userId: user.id }),
        { created: t },
      ),
    );
    expect(created.status).toBe(200);

    expect((await whoami()).body.plan).toBe('pro');
    const sub = await request(ctx.app).get('/api/v1/billing/subscription').set(bearer(user.accessToken));
    expect(subscriptionResponse.parse(sub.body)).toMatchObject({
      plan: 'pro',
      status: 'active',
      currentPeriodEnd: new Date(Math.floor(periodEnd.getTime() / 1000) * 1000).toISOString(),
      usage: { limit: PLANS.pro.requestsPerPeriod, projectLimit: PLANS.pro.projects },
    });
    expect(await subscriptionRow(user.id)).toMatchObject({
      stripeSubscriptionId: 'sub_done',
      stripeCustomerId: customerId,
    });
    expect(await ctx.prisma.auditLog.count({ where: { action: 'billing.plan_change', targetId: user.id } })).toBe(1);
  });
});

describe('signature checks', () => {
  it('should refuse a forged signature with 400 and change nothing', async () => {
    const c = await customer();
    const forged = c.subEvent('created', { secret: 'whsec_attacker' });
    const res = await send(forged);
    expect(res.status).toBe(400);
    expect(res.body.error.code).toBe('INVALID_SIGNATURE');
    expect((await subscriptionRow(c.user.id)).plan).toBe('free');
    expect(await ctx.prisma.processedWebhookEvent.count({ where: { eventId: forged.event.id } })).toBe(0);
  });

  it('should refuse a body that differs from the signed one', async () => {
    const c = await customer();
    const real = c.subEvent('created');
    const tampered = real.payload.replace(FAKE_PRICES.pro, FAKE_PRICES.enterprise);
    expect(tampered).not.toBe(real.payload);
    const res = await send({ payload: tampered, signature: real.signature });
    expect(res.status).toBe(400);
    expect((await subscriptionRow(c.user.id)).plan).toBe('free');
  });

  it('should refuse a stale timestamp (replay window passed) with 400', async () => {
    const c = await customer();
    const res = await send(c.subEvent('created', { timestamp: nowS() - 600 }));
    expect(res.status).toBe(400);
    expect(res.body.error.code).toBe('INVALID_SIGNATURE');
    expect((await subscriptionRow(c.user.id)).plan).toBe('free');
  });

  it('should refuse a missing Stripe-Signature header with 400', async () => {
    const res = await request(ctx.app).post('/api/v1/webhooks/stripe').send({ id: 'evt_x', type: 'invoice.paid' });
    expect(res.status).toBe(400);
    expect(res.body.error.code).toBe('INVALID_SIGNATURE');
  });
});

describe('malformed signed events', () => {
  it.each([
    ['without an id', (e: Record<string, unknown>) => ({ ...e, id: undefined })],
    ['with an empty id', (e: Record<string, unknown>) => ({ ...e, id: '' })],
    ['with a numeric id', (e: Record<string, unknown>) => ({ ...e, id: 42 })],
    ['without a type', (e: Record<string, unknown>) => ({ ...e, type: undefined })],
    ['without data.object', (e: Record<string, unknown>) => ({ ...e, data: {} })],
  ])('should refuse a correctly signed event %s with 400 and record nothing', async (_name, mangle) => {
    const { event } = signedEvent(
      'invoice.paid',
      invoiceObject({ id: 'in_malformed', customer: 'cus_x', status: 'paid' }),
    );
    const before = await ctx.prisma.processedWebhookEvent.count();
    const res = await send(signedPayload(JSON.stringify(mangle(event))));
    expect(res.status).toBe(400);
    expect(res.body.error.code).toBe('VALIDATION_ERROR');
    expect(await ctx.prisma.processedWebhookEvent.count()).toBe(before);
  });
});

describe('exactly once and out of order', () => {
  it('should answer 200 to a replayed event and change nothing', async () => {
    const c = await customer();
    const t = nowS();
    const first = c.subEvent('created', { created: t });
    expect((await send(first)).body.duplicate).toBe(false);
    expect((await send(c.subEvent('updated', { created: t + 5 }, { cancelAtPeriodEnd: true }))).status).toBe(200);
    const before = await subscriptionRow(c.user.id);

    const replay = await send(first);
    expect(replay.status).toBe(200);
    expect(replay.body).toEqual({ received: true, duplicate: true });
    expect(await subscriptionRow(c.user.id)).toEqual(before);
    expect(
      await ctx.prisma.processedWebhookEvent.count({ where: { provider: 'stripe', eventId: first.event.id } }),
    ).toBe(1);
  });

  it('should process concurrent deliveries of one event once', async () => {
    const { user, customerId } = await customer();
    const paid = signedEvent(
      'invoice.paid',
      invoiceObject({ id: `in_conc_${user.id}`, customer: customerId, status: 'paid' }),
    );
    const results = await Promise.all([send(paid), send(paid), send(paid)]);
    expect(results.map((r) => r.status)).toEqual([200, 200, 200]);
    expect(results.filter((r) => r.body.duplicate === false)).toHaveLength(1);
    expect(await ctx.prisma.invoice.count({ where: { userId: user.id } })).toBe(1);
  });

  it('should never let an older subscription update overwrite a newer one', async () => {
    const c = await customer();
    const t = nowS();
    expect((await send(c.subEvent('updated', { created: t + 20 }, { plan: 'enterprise' }))).status).toBe(200);
    expect((await send(c.subEvent('updated', { created: t + 10 }, { status: 'past_due' }))).status).toBe(200);
    expect(await subscriptionRow(c.user.id)).toMatchObject({
      plan: 'enterprise',
      status: 'active',
      pastDueSince: null,
      lastEventAt: new Date((t + 20) * 1000),
    });
  });
});

describe('subscription lifecycle', () => {
  it('should keep the plan until period end on cancel_at_period_end, then drop to free on deleted', async () => {
    const c = await customer();
    const project = await createProject(ctx.app, c.user);
    const t = nowS();
    await send(c.subEvent('created', { created: t }));
    await send(c.subEvent('updated', { created: t + 1 }, { cancelAtPeriodEnd: true }));
    expect(await subscriptionRow(c.user.id)).toMatchObject({ plan: 'pro', cancelAtPeriodEnd: true });
    const whoami = () => request(ctx.app).get('/api/v1/llm/whoami').set('X-API-Key', project.apiKey);
    expect((await whoami()).body.plan).toBe('pro');

    await send(c.subEvent('deleted', { created: t + 2 }, { status: 'canceled' }));
    expect(await subscriptionRow(c.user.id)).toMatchObject({
      plan: 'free',
      status: 'canceled',
      cancelAtPeriodEnd: false,
    });
    expect((await whoami()).body.plan).toBe('free');
  });

  it('should keep a downgrade pending until the paid-for period ends', async () => {
    const c = await customer();
    const start = new Date(Date.now() - 5 * DAY);
    const end = new Date(start.getTime() + 30 * DAY);
    const t = nowS();
    await send(c.subEvent('created', { created: t }, { plan: 'enterprise', periodStart: start, periodEnd: end }));
    await send(c.subEvent('updated', { created: t + 1 }, { periodStart: start, periodEnd: end }));
    expect(await subscriptionRow(c.user.id)).toMatchObject({ plan: 'enterprise', pendingPlan: 'pro' });

    const renewal = { periodStart: end, periodEnd: new Date(end.getTime() + 30 * DAY) };
    await send(c.subEvent('updated', { created: t + 2 }, renewal));
    expect(await subscriptionRow(c.user.id)).toMatchObject({
      plan: 'pro',
      pendingPlan: null,
      currentPeriodStart: new Date(Math.floor(end.getTime() / 1000) * 1000),
    });
  });

  it('should apply an upgrade at once', async () => {
    const c = await customer();
    const t = nowS();
    await send(c.subEvent('created', { created: t }));
    await send(c.subEvent('updated', { created: t + 1 }, { plan: 'enterprise' }));
    expect(await subscriptionRow(c.user.id)).toMatchObject({ plan: 'enterprise', pendingPlan: null });
  });

  it('should not grant a plan for a checkout that is not paid yet', async () => {
    const { user, customerId, subId } = await customer();
    const session = checkoutSessionObject({
      userId: user.id,
      customer: customerId,
      subscription: subId,
      plan: 'pro',
      paymentStatus: 'unpaid',
    });
    expect((await send(signedEvent('checkout.session.completed', session))).status).toBe(200);
    expect(await subscriptionRow(user.id)).toMatchObject({ plan: 'free', stripeSubscriptionId: subId });
  });
});

describe('invoices and refunds', () => {
  it('should store a finalized invoice, mark it paid, and not let a late finalized event undo that', async () => {
    const { user, customerId, subId } = await customer();
    const id = `in_life_${user.id}`;
    const t = nowS();
    const finalized = () =>
      signedEvent(
        'invoice.finalized',
        invoiceObject({ id, customer: customerId, subscription: subId, status: 'open' }),
        {
          created: t,
        },
      );
    await send(finalized());
    expect(await ctx.prisma.invoice.findUniqueOrThrow({ where: { stripeInvoiceId: id } })).toMatchObject({
      userId: user.id,
      status: 'open',
      amountDue: 4900,
      amountPaid: 0,
      hostedInvoiceUrl: `https://invoice.stripe.com/i/${id}`,
    });
    const paid = invoiceObject({
      id,
      customer: customerId,
      subscription: subId,
      status: 'paid',
      charge: `ch_${user.id}`,
    });
    await send(signedEvent('invoice.paid', paid, { created: t + 1 }));
    await send(finalized()); // a late, different delivery of the older state
    expect(await ctx.prisma.invoice.findUniqueOrThrow({ where: { stripeInvoiceId: id } })).toMatchObject({
      status: 'paid',
      amountPaid: 4900,
      stripeChargeId: `ch_${user.id}`,
    });
    const list = await request(ctx.app).get('/api/v1/billing/invoices').set(bearer(user.accessToken));
    expect(list.body.data.map((i: { stripeInvoiceId: string }) => i.stripeInvoiceId)).toEqual([id]);
  });

  it('should mark the subscription past_due on a failed payment and active again when paid', async () => {
    const { user, customerId, subId } = await customer();
    const t = nowS();
    await send(
      signedEvent(
        'customer.subscription.created',
        subscriptionObject({ id: subId, customer: customerId, plan: 'pro' }),
        { created: t },
      ),
    );
    const id = `in_dunning_${user.id}`;
    await send(
      signedEvent(
        'invoice.payment_failed',
        invoiceObject({ id, customer: customerId, subscription: subId, status: 'open' }),
        { created: t + 1 },
      ),
    );
    expect(await subscriptionRow(user.id)).toMatchObject({
      plan: 'pro',
      status: 'past_due',
      pastDueSince: new Date((t + 1) * 1000),
    });
    const during = await request(ctx.app).get('/api/v1/billing/subscription').set(bearer(user.accessToken));
    expect(during.body).toMatchObject({ plan: 'pro', status: 'past_due' });

    await send(
      signedEvent('invoice.paid', invoiceObject({ id, customer: customerId, subscription: subId, status: 'paid' }), {
        created: t + 2,
      }),
    );
    expect(await subscriptionRow(user.id)).toMatchObject({ plan: 'pro', status: 'active', pastDueSince: null });
  });

  it('should record a refund on the invoice its charge paid, never lowering it, and audit it', async () => {
    const { user, customerId } = await customer();
    const id = `in_refunded_${user.id}`;
    const charge = `ch_refunded_${user.id}`;
    await send(signedEvent('invoice.paid', invoiceObject({ id, customer: customerId, status: 'paid', charge })));
    await send(
      signedEvent(
        'charge.refunded',
        chargeObject({ id: charge, customer: customerId, amount: 4900, amountRefunded: 2000 }),
      ),
    );
    await send(
      signedEvent(
        'charge.refunded',
        chargeObject({ id: charge, customer: customerId, amount: 4900, amountRefunded: 1000 }),
      ),
    );
    const invoice = await ctx.prisma.invoice.findUniqueOrThrow({ where: { stripeInvoiceId: id } });
    expect(invoice.amountRefunded).toBe(2000);
    expect(
      await ctx.prisma.auditLog.count({ where: { action: 'billing.refund_recorded', targetId: invoice.id } }),
    ).toBe(2);
  });

  it('should find the invoice of a refunded charge through its payment intent when the charge is unknown', async () => {
    const { user, customerId } = await customer();
    const id = `in_pi_${user.id}`;
    await send(signedEvent('invoice.paid', invoiceObject({ id, customer: customerId, status: 'paid' })));
    stripe.fake.invoicePayments.push({
      id: `inpay_${id}`,
      object: 'invoice_payment',
      invoice: id,
      payment: { type: 'payment_intent', payment_intent: `pi_${user.id}` },
    });
    const res = await send(
      signedEvent(
        'charge.refunded',
        chargeObject({
          id: `ch_pi_${user.id}`,
          customer: customerId,
          amount: 4900,
          amountRefunded: 4900,
          paymentIntent: `pi_${user.id}`,
        }),
      ),
    );
    expect(res.status).toBe(200);
    expect(stripe.fake.calls('/v1/invoice_payments', 'GET').at(-1)!.query).toMatchObject({
      'payment[payment_intent]': `pi_${user.id}`,
    });
    expect(await ctx.prisma.invoice.findUniqueOrThrow({ where: { stripeInvoiceId: id } })).toMatchObject({
      amountRefunded: 4900,
      stripeChargeId: `ch_pi_${user.id}`,
    });
  });
});

describe('events we do not act on', () => {
  it('should acknowledge unhandled types and unknown customers with 200, once', async () => {
    const ignored = signedEvent('customer.created', { id: 'cus_other', object: 'customer' });
    expect((await send(ignored)).body).toEqual({ received: true, duplicate: false });
    const stranger = signedEvent(
      'invoice.paid',
      invoiceObject({ id: 'in_stranger', customer: 'cus_stranger', status: 'paid' }),
    );
    expect((await send(stranger)).status).toBe(200);
    expect(await ctx.prisma.invoice.count({ where: { stripeInvoiceId: 'in_stranger' } })).toBe(0);
    expect(
      await ctx.prisma.processedWebhookEvent.count({
        where: { eventId: { in: [ignored.event.id, stranger.event.id] } },
      }),
    ).toBe(2);
  });
});
