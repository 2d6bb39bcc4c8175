/**
 * A local HTTP server that answers like the Stripe API for the calls billing makes, and records
 * every request (method, path, query, form-decoded body, Idempotency-Key) so tests can assert
 * what "Stripe" received. Like Stripe, a repeated Idempotency-Key replays the first response.
 * Also: billing configs pointing the real SDK at it, and Stripe-shaped webhook events signed
 * with the SDK's own test-header helper.
 */
import { once } from 'node:events';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Express } from 'express';
import Stripe from 'stripe';
import request from 'supertest';
import { afterAll, beforeAll } from 'vitest';
import type { AppDeps } from '../../src/app.js';
import { PLANS, type PlanId } from '../../src/config/plans.js';
import { createStripeClient, type BillingConfig } from '../../src/integrations/stripeClient.js';

export interface RecordedRequest {
  method: string;
  path: string;
  query: Record<string, string>;
  body: Record<string, string>;
  idempotencyKey: string | null;
  authorization: string | null;
}

type Json = Record<string, unknown>;

export interface FakeStripe {
  port: number;
  requests: RecordedRequest[];
  /** Invoice payments GET /v1/invoice_payments answers from (filtered by invoice / payment intent). */
  invoicePayments: Json[];
  /** The next call to `path` answers this HTTP status with a Stripe error body. */
  failNext(path: string, status: number): void;
  /** Recorded requests to one path (POST unless said otherwise). */
  calls(path: string, method?: string): RecordedRequest[];
  close(): Promise<void>;
}

export const FAKE_PRICES = { pro: 'price_pro_test', enterprise: 'price_enterprise_test' } as const;
export const WEBHOOK_SECRET = 'whsec_test_secret_for_llmguard_webhooks';

function stripeError(res: http.ServerResponse, status: number, message: string) {
  res.writeHead(status, { 'Content-Type': 'application/json', 'Request-Id': 'req_fake' });
  res.end(JSON.stringify({ error: { type: status >= 500 ? 'api_error' : 'invalid_request_error', message } }));
}

export async function startFakeStripe(): Promise<FakeStripe> {
  const requests: RecordedRequest[] = [];
  const replays = new Map<string, { status: number; body: Json }>();
  const failures = new Map<string, number>();
  const invoicePayments: Json[] = [];
  let seq = 0;
  const next = (prefix: string) => `${prefix}_fake${String(++seq).padStart(6, '0')}`;
  const now = () => Math.floor(Date.now() / 1000);

  const answer = (req: RecordedRequest): { status: number; body: Json } => {
    const b = req.body;
    const route = `${req.method} ${req.path}`;
    if (route === 'POST /v1/customers') {
      return {
        status: 200,
        body: { id: next('cus'), object: 'customer', email: b.email ?? null, name: b.name ?? null, created: now() },
      };
    }
    if (route === 'POST /v1/checkout/sessions') {
      const id = next('cs_test');
      return {
        status: 200,
        body: {
          id,
          object: 'checkout.session',
          mode: b.mode,
          customer: b.customer ?? null,
          client_reference_id: b.client_reference_id ?? null,
          metadata: { userId: b['metadata[userId]'], plan: b['metadata[plan]'] },
          status: 'open',
          payment_status: 'unpaid',
          success_url: b.success_url,
          cancel_url: b.cancel_url,
          url: `https://checkout.stripe.com/c/pay/${id}`,
          created: now(),
        },
      };
    }
    if (route === 'POST /v1/billing_portal/sessions') {
      const id = next('bps');
      return {
        status: 200,
        body: {
          id,
          object: 'billing_portal.session',
          customer: b.customer,
          return_url: b.return_url,
          url: `https://billing.stripe.com/p/session/${id}`,
          created: now(),
        },
      };
    }
    if (route === 'POST /v1/refunds') {
      return {
        status: 200,
        body: {
          id: next('re'),
          object: 'refund',
          amount: Number(b.amount),
          currency: 'usd',
          charge: b.charge ?? null,
          payment_intent: b.payment_intent ?? null,
          status: 'succeeded',
          metadata: {},
          created: now(),
        },
      };
    }
    if (route === 'GET /v1/invoice_payments') {
      const data = invoicePayments.filter((p) => {
        const payment = p.payment as Json;
        if (req.query.invoice && p.invoice !== req.query.invoice) return false;
        const intent = req.query['payment[payment_intent]'];
        return !intent || payment.payment_intent === intent;
      });
      return { status: 200, body: { object: 'list', data, has_more: false, url: '/v1/invoice_payments' } };
    }
    return {
      status: 404,
      body: { error: { type: 'invalid_request_error', message: `Unrecognized request URL (${route})` } },
    };
  };

  const server = http.createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const url = new URL(req.url ?? '/', 'http://fake.stripe');
      const recorded: RecordedRequest = {
        method: req.method ?? 'GET',
        path: url.pathname,
        query: Object.fromEntries(url.searchParams),
        body: Object.fromEntries(new URLSearchParams(Buffer.concat(chunks).toString('utf8'))),
        idempotencyKey: req.headers['idempotency-key']?.toString() ?? null,
        authorization: req.headers.authorization ?? null,
      };
      requests.push(recorded);
      const failure = failures.get(recorded.path);
      if (failure) {
        failures.delete(recorded.path);
        stripeError(res, failure, 'Injected failure');
        return;
      }
      const replayKey = recorded.idempotencyKey && `${recorded.path}|${recorded.idempotencyKey}`;
      const replayed = replayKey ? replays.get(replayKey) : undefined;
      const out = replayed ?? answer(recorded);
      if (replayKey && !replayed) replays.set(replayKey, out);
      res.writeHead(out.status, {
        'Content-Type': 'application/json',
        'Request-Id': `req_${seq}`,
        ...(replayed ? { 'Idempotent-Replayed': 'true' } : {}),
      });
      res.end(JSON.stringify(out.body));
    });
  });
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  return {
    port: (server.address() as AddressInfo).port,
    requests,
    invoicePayments,
    failNext: (path, status) => failures.set(path, status),
    calls: (path, method = 'POST') => requests.filter((r) => r.path === path && r.method === method),
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}

type PlanLimits = Partial<Record<PlanId, { requestsPerPeriod?: number; projects?: number }>>;

/**
 * For one test file: a fake Stripe started before the app is built, and the AppDeps pointing
 * the app at it. `const stripe = useFakeStripe(); const ctx = useTestApp(stripe.deps);`
 */
export function useFakeStripe(limits: PlanLimits = {}): { fake: FakeStripe; deps: Partial<AppDeps> } {
  const handle = { fake: undefined as unknown as FakeStripe, deps: {} as Partial<AppDeps> };
  beforeAll(async () => {
    handle.fake = await startFakeStripe();
    handle.deps.billing = fakeBilling(handle.fake, limits);
  });
  afterAll(() => handle.fake?.close());
  return handle;
}

/** Delivers a signed event to the webhook endpoint, byte for byte as signed. */
export function postWebhook(app: Express, signed: { payload: string; signature: string }) {
  return request(app)
    .post('/api/v1/webhooks/stripe')
    .set('Content-Type', 'application/json')
    .set('Stripe-Signature', signed.signature)
    .send(signed.payload);
}

/** A BillingConfig whose SDK client talks to the fake; plan limits can be shrunk for tests. */
export function fakeBilling(
  fake: Pick<FakeStripe, 'port'>,
  limits: PlanLimits = {},
  overrides: Partial<BillingConfig> = {},
): BillingConfig {
  const plan = (id: PlanId) => ({
    ...PLANS[id],
    ...(id === 'free' ? {} : { stripePriceId: FAKE_PRICES[id] }),
    ...limits[id],
  });
  return {
    stripe: createStripeClient({
      secretKey: 'sk_test_fake_key',
      host: '127.0.0.1',
      port: fake.port,
      protocol: 'http',
      maxNetworkRetries: 0,
    }),
    webhookSecret: WEBHOOK_SECRET,
    webhookToleranceSeconds: 300,
    successUrl: 'https://app.llmguard.test/billing/success?session_id={CHECKOUT_SESSION_ID}',
    cancelUrl: 'https://app.llmguard.test/billing/cancel',
    portalReturnUrl: 'https://app.llmguard.test/billing',
    pastDueGraceDays: 7,
    plans: { free: plan('free'), pro: plan('pro'), enterprise: plan('enterprise') },
    selfHosted: null,
    ...overrides,
  };
}

let eventSeq = 0;

/** A Stripe event envelope around `object`, its exact JSON payload and a valid Stripe-Signature. */
export function signedEvent(
  type: string,
  object: Json,
  options: { id?: string; created?: number; timestamp?: number; secret?: string } = {},
) {
  const created = options.created ?? Math.floor(Date.now() / 1000);
  const event = {
    id: options.id ?? `evt_test_${process.pid}_${++eventSeq}_${Date.now()}`,
    object: 'event',
    api_version: Stripe.API_VERSION,
    created,
    livemode: false,
    pending_webhooks: 1,
    request: { id: null, idempotency_key: null },
    type,
    data: { object },
  };
  const payload = JSON.stringify(event);
  const signature = Stripe.webhooks.generateTestHeaderString({
    payload,
    secret: options.secret ?? WEBHOOK_SECRET,
    timestamp: options.timestamp,
  });
  return { event, payload, signature };
}

/** Any payload, validly signed: for events Stripe would never send (no id, no type, ...). */
export function signedPayload(payload: string) {
  return { payload, signature: Stripe.webhooks.generateTestHeaderString({ payload, secret: WEBHOOK_SECRET }) };
}

const unix = (d: Date) => Math.floor(d.getTime() / 1000);

/** A subscription object as Stripe sends it (periods live on the items since API 2025-03). */
export function subscriptionObject(o: {
  id: string;
  customer: string;
  plan: 'pro' | 'enterprise';
  status?: string;
  periodStart?: Date;
  periodEnd?: Date;
  cancelAtPeriodEnd?: boolean;
  userId?: string;
}): Json {
  const start = o.periodStart ?? new Date(Date.now() - 86_400_000);
  const end = o.periodEnd ?? new Date(start.getTime() + 30 * 86_400_000);
  return {
    id: o.id,
    object: 'subscription',
    customer: o.customer,
    status: o.status ?? 'active',
    cancel_at_period_end: o.cancelAtPeriodEnd ?? false,
    cancel_at: o.cancelAtPeriodEnd ? unix(end) : null,
    created: unix(start),
    metadata: o.userId ? { userId: o.userId, plan: o.plan } : {},
    items: {
      object: 'list',
      data: [
        {
          id: `si_${o.id}`,
          object: 'subscription_item',
          current_period_start: unix(start),
          current_period_end: unix(end),
          price: { id: FAKE_PRICES[o.plan], object: 'price', currency: 'usd', unit_amount: 4900 },
          quantity: 1,
          subscription: o.id,
        },
      ],
      has_more: false,
    },
  };
}

export function checkoutSessionObject(o: {
  id?: string;
  userId: string;
  customer: string;
  subscription: string;
  plan: 'pro' | 'enterprise';
  paymentStatus?: string;
}): Json {
  return {
    id: o.id ?? `cs_test_${++eventSeq}`,
    object: 'checkout.session',
    mode: 'subscription',
    status: 'complete',
    payment_status: o.paymentStatus ?? 'paid',
    client_reference_id: o.userId,
    customer: o.customer,
    subscription: o.subscription,
    metadata: { userId: o.userId, plan: o.plan },
    url: null,
  };
}

export function invoiceObject(o: {
  id: string;
  customer: string;
  subscription?: string;
  status: 'draft' | 'open' | 'paid' | 'void' | 'uncollectible';
  amountDue?: number;
  amountPaid?: number;
  charge?: string;
}): Json {
  const now = unix(new Date());
  return {
    id: o.id,
    object: 'invoice',
    customer: o.customer,
    number: `INV-${o.id.slice(-6).toUpperCase()}`,
    status: o.status,
    currency: 'usd',
    amount_due: o.amountDue ?? 4900,
    amount_paid: o.amountPaid ?? (o.status === 'paid' ? (o.amountDue ?? 4900) : 0),
    hosted_invoice_url: `https://invoice.stripe.com/i/${o.id}`,
    period_start: now - 30 * 86_400,
    period_end: now,
    created: now,
    parent: o.subscription
      ? {
          type: 'subscription_details',
          quote_details: null,
          subscription_details: { subscription: o.subscription, metadata: {} },
        }
      : null,
    ...(o.charge
      ? {
          payments: {
            object: 'list',
            data: [{ id: `inpay_${o.id}`, object: 'invoice_payment', payment: { type: 'charge', charge: o.charge } }],
            has_more: false,
          },
        }
      : {}),
  };
}

export function chargeObject(o: {
  id: string;
  customer: string;
  amount: number;
  amountRefunded: number;
  paymentIntent?: string;
}): Json {
  return {
    id: o.id,
    object: 'charge',
    customer: o.customer,
    amount: o.amount,
    amount_refunded: o.amountRefunded,
    currency: 'usd',
    payment_intent: o.paymentIntent ?? null,
    refunded: o.amountRefunded >= o.amount,
    status: 'succeeded',
  };
}
