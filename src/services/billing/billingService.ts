/**
 * Billing use cases on the dashboard side: checkout, customer portal, invoices, the
 * subscription read-out and admin refunds. Stripe state flows back in through the webhook
 * (stripeWebhookService); nothing here marks a plan as paid.
 */
import type Stripe from 'stripe';
import type { PlanId } from '../../config/plans.js';
import type { PrismaClient } from '../../db/prisma.js';
import type { Invoice } from '../../generated/prisma/client.js';
import { requireStripe, stripeCall, stripeId, type BillingConfig } from '../../integrations/stripeClient.js';
import { AppError } from '../../utils/AppError.js';
import { pageArgs, pageOf, type Page, type PageQuery } from '../../validators/common.js';
import { recordAudit, type AuditContext } from '../ops/auditService.js';
import { SERVING_STATUSES, type QuotaService } from './quotaService.js';

export interface BillingDeps {
  prisma: PrismaClient;
  billing: BillingConfig;
  quota: QuotaService;
}

/**
 * One idempotency key per intent and minute: a double click or a client retry gets the same
 * Stripe object back instead of a second one.
 */
function idempotencyKey(...parts: (string | number)[]): string {
  return [...parts, Math.floor(Date.now() / 60_000)].join(':');
}

/** The user's Stripe customer: the stored one, or a new one remembered on the Subscription row. */
async function ensureCustomer(prisma: PrismaClient, stripe: Stripe, userId: string): Promise<string> {
  const user = await prisma.user.findUnique({ where: { id: userId }, include: { subscription: true } });
  if (!user) throw AppError.notFound('User');
  if (user.subscription?.stripeCustomerId) return user.subscription.stripeCustomerId;
  const customer = await stripeCall('create the customer', () =>
    stripe.customers.create(
      { email: user.email, name: user.name ?? undefined, metadata: { userId } },
      { idempotencyKey: `customer:${userId}` },
    ),
  );
  await prisma.subscription.upsert({
    where: { userId },
    create: { userId, stripeCustomerId: customer.id },
    update: { stripeCustomerId: customer.id },
  });
  return customer.id;
}

/** Starts a subscription-mode Checkout Session for a paid plan; the webhook applies the result. */
export async function startCheckout(
  { prisma, billing }: BillingDeps,
  userId: string,
  plan: Exclude<PlanId, 'free'>,
  ctx: AuditContext,
): Promise<{ url: string; sessionId: string }> {
  const stripe = requireStripe(billing);
  const price = billing.plans[plan].stripePriceId;
  if (!price) throw new AppError('BILLING_NOT_CONFIGURED', `No Stripe price is configured for the ${plan} plan`);
  const current = await prisma.subscription.findUnique({ where: { userId } });
  if (current?.stripeSubscriptionId && current.plan !== 'free' && SERVING_STATUSES.has(current.status)) {
    throw new AppError('CONFLICT', 'You already have a subscription; change plans in the billing portal');
  }
  const customer = await ensureCustomer(prisma, stripe, userId);
  const metadata = { userId, plan };
  const session = await stripeCall('start the checkout', () =>
    stripe.checkout.sessions.create(
      {
        mode: 'subscription',
        customer,
        client_reference_id: userId,
        line_items: [{ price, quantity: 1 }],
        success_url: billing.successUrl,
        cancel_url: billing.cancelUrl,
        metadata,
        subscription_data: { metadata },
      },
      { idempotencyKey: idempotencyKey('checkout', userId, plan) },
    ),
  );
  if (!session.url) throw new AppError('PAYMENT_PROVIDER_ERROR', 'The payment provider returned no checkout URL');
  await recordAudit(prisma, ctx, {
    action: 'billing.checkout',
    targetType: 'user',
    targetId: userId,
    metadata: { plan, sessionId: session.id },
  });
  return { url: session.url, sessionId: session.id };
}

/** A Stripe customer-portal session (change card, switch or cancel plan, download invoices). */
export async function openPortal({ prisma, billing }: BillingDeps, userId: string): Promise<{ url: string }> {
  const stripe = requireStripe(billing);
  const row = await prisma.subscription.findUnique({ where: { userId } });
  const customer = row?.stripeCustomerId;
  if (!customer) throw new AppError('CONFLICT', 'No billing account yet: start a checkout first');
  const session = await stripeCall('open the billing portal', () =>
    stripe.billingPortal.sessions.create(
      { customer, return_url: billing.portalReturnUrl },
      { idempotencyKey: idempotencyKey('portal', userId) },
    ),
  );
  return { url: session.url };
}

export interface PublicInvoice {
  id: string;
  stripeInvoiceId: string;
  number: string | null;
  status: string;
  currency: string;
  amountDue: number;
  amountPaid: number;
  amountRefunded: number;
  hostedInvoiceUrl: string | null;
  periodStart: Date | null;
  periodEnd: Date | null;
  createdAt: Date;
}

export function toPublicInvoice(i: Invoice): PublicInvoice {
  return {
    id: i.id,
    stripeInvoiceId: i.stripeInvoiceId,
    number: i.number,
    status: i.status,
    currency: i.currency,
    amountDue: i.amountDue,
    amountPaid: i.amountPaid,
    amountRefunded: i.amountRefunded,
    hostedInvoiceUrl: i.hostedInvoiceUrl,
    periodStart: i.periodStart,
    periodEnd: i.periodEnd,
    createdAt: i.createdAt,
  };
}

/** The user's invoices, newest first, from our table (kept current by the webhook). */
export async function listInvoices(
  prisma: PrismaClient,
  { userId, page }: { userId: string; page: PageQuery },
): Promise<Page<PublicInvoice>> {
  const where = { userId };
  const [rows, total] = await Promise.all([
    prisma.invoice.findMany({ where, orderBy: { createdAt: 'desc' }, ...pageArgs(page) }),
    prisma.invoice.count({ where }),
  ]);
  return pageOf(rows.map(toPublicInvoice), page, total);
}

/**
 * The plan that applies now, its limits (null: none), the Stripe status, and this period's
 * usage against the limits. Self-hosted (`mode: 'self-hosted'`): the configured plan, no
 * subscription fields from Stripe.
 */
export async function subscriptionSummary({ prisma, quota, billing }: BillingDeps, userId: string) {
  const selfHosted = billing.selfHosted !== null;
  const [row, usage] = await Promise.all([
    selfHosted ? null : prisma.subscription.findUnique({ where: { userId } }),
    quota.usage(userId),
  ]);
  const state = await quota.state(userId); // cached by usage() a moment ago
  return {
    mode: selfHosted ? ('self-hosted' as const) : ('stripe' as const),
    plan: usage.plan,
    planName: state.plan.name,
    status: row?.status ?? 'active',
    currentPeriodEnd: row?.currentPeriodEnd ?? null,
    cancelAtPeriodEnd: row?.cancelAtPeriodEnd ?? false,
    pendingPlan: row?.pendingPlan ?? null,
    limits: {
      requestsPerPeriod: state.plan.requestsPerPeriod,
      projects: state.plan.projects,
      logRetentionDays: state.plan.retentionDays,
    },
    usage: {
      requests: usage.requests,
      limit: usage.limit,
      projects: usage.projects,
      projectLimit: usage.projectLimit,
      periodStart: usage.periodStart,
      resetAt: usage.resetAt,
    },
  };
}

/** What Stripe can refund for an invoice: its charge, or the payment intent that paid it. */
async function paymentOf(stripe: Stripe, invoice: Invoice): Promise<{ charge: string } | { payment_intent: string }> {
  if (invoice.stripeChargeId) return { charge: invoice.stripeChargeId };
  const payments = await stripeCall('look up the invoice payment', () =>
    stripe.invoicePayments.list({ invoice: invoice.stripeInvoiceId, status: 'paid', limit: 1 }),
  );
  const payment = payments.data[0]?.payment;
  const charge = stripeId(payment?.charge);
  if (charge) return { charge };
  const intent = stripeId(payment?.payment_intent);
  if (intent) return { payment_intent: intent };
  throw new AppError('CONFLICT', 'Stripe has no payment for this invoice');
}

/**
 * Admin refund of an invoice (all that is left by default) through Stripe. Our row changes when
 * Stripe confirms with charge.refunded, so the table never claims a refund Stripe did not make.
 */
export async function refundInvoice(
  { prisma, billing }: BillingDeps,
  input: { invoiceId: string; amount?: number },
  ctx: AuditContext,
) {
  const stripe = requireStripe(billing);
  const invoice = await prisma.invoice.findFirst({
    where: { OR: [{ id: input.invoiceId }, { stripeInvoiceId: input.invoiceId }] },
  });
  if (!invoice) throw AppError.notFound('Invoice');
  const refundable = invoice.amountPaid - invoice.amountRefunded;
  if (refundable <= 0) throw new AppError('CONFLICT', 'Nothing is left to refund on this invoice');
  const amount = input.amount ?? refundable;
  if (amount > refundable) {
    throw new AppError('VALIDATION_ERROR', 'Request validation failed', {
      details: [{ path: 'amount', message: `at most ${refundable} can be refunded`, code: 'too_big' }],
    });
  }
  const payment = await paymentOf(stripe, invoice);
  const refund = await stripeCall('refund the invoice', () =>
    stripe.refunds.create(
      {
        ...payment,
        amount,
        metadata: { invoiceId: invoice.id, stripeInvoiceId: invoice.stripeInvoiceId, requestedBy: ctx.actorId ?? '' },
      },
      { idempotencyKey: idempotencyKey('refund', invoice.id, amount, invoice.amountRefunded) },
    ),
  );
  await recordAudit(prisma, ctx, {
    action: 'billing.refund',
    targetType: 'invoice',
    targetId: invoice.id,
    metadata: { refundId: refund.id, amount, currency: invoice.currency, userId: invoice.userId },
  });
  return {
    id: refund.id,
    invoiceId: invoice.id,
    amount: refund.amount,
    currency: refund.currency,
    status: refund.status,
  };
}
