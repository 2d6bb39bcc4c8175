/**
 * Stripe webhooks: the signature is checked by the SDK on the raw bytes; each event id is
 * applied once (its ProcessedWebhookEvent row is inserted in the same transaction as the
 * effect); subscription state carries the time of the newest event applied, so an event that
 * arrives late never overwrites newer state.
 */
import type { Logger } from 'pino';
import Stripe from 'stripe';
import type { PrismaClient } from '../../db/prisma.js';
import { stripeCall, stripeId, type BillingConfig } from '../../integrations/stripeClient.js';
import { AppError } from '../../utils/AppError.js';
import type { KeyCache } from '../auth/keyCache.js';
import type { QuotaService } from './quotaService.js';
import { applyInvoiceEvent, applyRefund } from './stripeInvoiceEvents.js';
import { applyCheckoutCompleted, applySubscriptionEvent, type Tx } from './stripeSubscriptionEvents.js';

export interface WebhookDeps {
  prisma: PrismaClient;
  billing: BillingConfig;
  keyCache: KeyCache;
  quota: QuotaService;
  logger: Logger;
}

/**
 * The verified event, or 400 INVALID_SIGNATURE (forged, stale, missing); 503 without a webhook
 * secret. The check needs the signing secret only, not an API key.
 */
export function verifyStripeEvent(
  billing: BillingConfig,
  rawBody: Buffer | undefined,
  signature: string | undefined,
): Stripe.Event {
  if (!billing.webhookSecret) {
    throw new AppError('BILLING_NOT_CONFIGURED', 'Stripe webhooks are not configured on this server');
  }
  if (!rawBody || !signature) throw new AppError('INVALID_SIGNATURE', 'Missing Stripe-Signature or body');
  return assertEventShape(constructEvent(billing, billing.webhookSecret, rawBody, signature));
}

/**
 * The signature says who sent the bytes, not that they are an event: one without a non-empty
 * string `id` (the exactly-once key), a `type` or a `data.object` is a 400, not a 500 from the
 * NOT NULL column or a 200 that records an empty id.
 */
function assertEventShape(event: Stripe.Event): Stripe.Event {
  const e = event as unknown as { id?: unknown; type?: unknown; data?: { object?: unknown } | null };
  const problems: { path: string; message: string }[] = [];
  if (typeof e.id !== 'string' || e.id.length === 0)
    problems.push({ path: 'id', message: 'must be a non-empty string' });
  if (typeof e.type !== 'string' || e.type.length === 0)
    problems.push({ path: 'type', message: 'must be a non-empty string' });
  if (typeof e.data?.object !== 'object' || e.data.object === null) {
    problems.push({ path: 'data.object', message: 'must be an object' });
  }
  if (problems.length > 0) {
    throw new AppError('VALIDATION_ERROR', 'Not a Stripe event', { details: problems });
  }
  return event;
}

function constructEvent(billing: BillingConfig, secret: string, rawBody: Buffer, signature: string): Stripe.Event {
  try {
    return (billing.stripe?.webhooks ?? Stripe.webhooks).constructEvent(
      rawBody,
      signature,
      secret,
      billing.webhookToleranceSeconds,
    );
  } catch {
    throw new AppError('INVALID_SIGNATURE', 'Invalid Stripe signature');
  }
}

/** Applies one event inside the transaction; returns the users whose billing state changed. */
function applyEvent(tx: Tx, deps: WebhookDeps, event: Stripe.Event, chargeInvoice: string | null): Promise<string[]> {
  switch (event.type) {
    case 'checkout.session.completed':
      return applyCheckoutCompleted(tx, deps.billing, event);
    case 'customer.subscription.created':
    case 'customer.subscription.updated':
    case 'customer.subscription.deleted':
      return applySubscriptionEvent(tx, deps.billing, event);
    case 'invoice.finalized':
    case 'invoice.paid':
    case 'invoice.payment_failed':
      return applyInvoiceEvent(tx, event);
    case 'charge.refunded':
      return applyRefund(tx, event, chargeInvoice);
    default:
      return Promise.resolve([]);
  }
}

/** Which invoice a refunded charge paid: by stored charge id, else asked of Stripe (before the transaction). */
async function invoiceForCharge(deps: WebhookDeps, charge: Stripe.Charge): Promise<string | null> {
  const known = await deps.prisma.invoice.findFirst({ where: { stripeChargeId: charge.id }, select: { id: true } });
  if (known) return known.id;
  const intent = stripeId(charge.payment_intent);
  const stripe = deps.billing.stripe;
  if (!intent || !stripe) return null;
  const payments = await stripeCall('look up the refunded invoice', () =>
    stripe.invoicePayments.list({ payment: { type: 'payment_intent', payment_intent: intent }, limit: 1 }),
  );
  const stripeInvoiceId = stripeId(payments.data[0]?.invoice);
  if (!stripeInvoiceId) return null;
  const row = await deps.prisma.invoice.findUnique({ where: { stripeInvoiceId }, select: { id: true } });
  return row?.id ?? null;
}

/**
 * Applies a verified event exactly once. A replay (same event id) changes nothing and reports
 * `duplicate`; a failure rolls back the effect and the processed marker together, so Stripe's
 * retry applies it later.
 */
export async function processStripeEvent(deps: WebhookDeps, event: Stripe.Event): Promise<{ duplicate: boolean }> {
  const chargeInvoice = event.type === 'charge.refunded' ? await invoiceForCharge(deps, event.data.object) : null;
  const outcome = await deps.prisma.$transaction(async (tx) => {
    const inserted = await tx.$executeRaw`
      INSERT INTO processed_webhook_events (provider, "eventId") VALUES ('stripe', ${event.id})
      ON CONFLICT DO NOTHING`;
    if (inserted === 0) return { duplicate: true, users: [] as string[] };
    return { duplicate: false, users: await applyEvent(tx, deps, event, chargeInvoice) };
  });
  deps.logger.info({ eventId: event.id, type: event.type, duplicate: outcome.duplicate }, 'stripe webhook');
  for (const userId of new Set(outcome.users)) await invalidateUser(deps, userId);
  return { duplicate: outcome.duplicate };
}

/** Makes quotas and /llm/whoami see the new plan at once (every replica, through the key cache bus). */
async function invalidateUser(deps: WebhookDeps, userId: string): Promise<void> {
  deps.quota.invalidate(userId);
  const projects = await deps.prisma.project.findMany({ where: { ownerId: userId }, select: { id: true } });
  await Promise.all(projects.map((p) => deps.keyCache.invalidateProject(p.id)));
}
