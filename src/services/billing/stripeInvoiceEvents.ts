/**
 * Invoices and refunds from Stripe events. Invoice rows only move forward (draft -> open ->
 * paid/void), so a late invoice.finalized cannot undo an invoice.paid; a failed payment starts
 * the past_due grace clock and a paid invoice stops it.
 */
import type Stripe from 'stripe';
import { stripeId } from '../../integrations/stripeClient.js';
import { recordAudit } from '../ops/auditService.js';
import { findUserId, fromUnix, lockSubscription, type EventOf, type Tx } from './stripeSubscriptionEvents.js';

const STATUS_RANK: Record<string, number> = { draft: 0, open: 1, uncollectible: 2, paid: 3, void: 3 };
const rank = (status: string) => STATUS_RANK[status] ?? 0;

/** The charge that paid the invoice, when the payload carries its payments. */
function chargeOf(invoice: Stripe.Invoice): string | null {
  for (const p of invoice.payments?.data ?? []) {
    const charge = stripeId(p.payment?.charge);
    if (charge) return charge;
  }
  return null;
}

async function upsertInvoice(tx: Tx, userId: string, invoice: Stripe.Invoice): Promise<void> {
  const existing = await tx.invoice.findUnique({ where: { stripeInvoiceId: invoice.id } });
  const status = invoice.status ?? 'draft';
  const data = {
    number: invoice.number ?? existing?.number ?? null,
    status: existing && rank(existing.status) > rank(status) ? existing.status : status,
    currency: invoice.currency,
    amountDue: invoice.amount_due,
    amountPaid: Math.max(invoice.amount_paid, existing?.amountPaid ?? 0),
    hostedInvoiceUrl: invoice.hosted_invoice_url ?? existing?.hostedInvoiceUrl ?? null,
    stripeChargeId: existing?.stripeChargeId ?? chargeOf(invoice),
    periodStart: fromUnix(invoice.period_start),
    periodEnd: fromUnix(invoice.period_end),
  };
  if (existing) await tx.invoice.update({ where: { id: existing.id }, data });
  else await tx.invoice.create({ data: { ...data, userId, stripeInvoiceId: invoice.id } });
}

/** invoice.finalized / invoice.paid / invoice.payment_failed. */
export async function applyInvoiceEvent(
  tx: Tx,
  event: EventOf<'invoice.finalized' | 'invoice.paid' | 'invoice.payment_failed'>,
): Promise<string[]> {
  const invoice = event.data.object;
  const details = invoice.parent?.subscription_details;
  const subscriptionId = stripeId(details?.subscription);
  const userId = await findUserId(tx, {
    customerId: stripeId(invoice.customer),
    subscriptionId,
    userId: details?.metadata?.userId,
  });
  if (!userId) return [];
  await upsertInvoice(tx, userId, invoice);
  if (event.type === 'invoice.finalized' || !subscriptionId) return [];

  const row = await lockSubscription(tx, userId);
  const at = fromUnix(event.created)!;
  if (row.stripeSubscriptionId !== subscriptionId || (row.lastEventAt && row.lastEventAt > at)) return [];
  if (event.type === 'invoice.payment_failed' && ['active', 'trialing', 'past_due'].includes(row.status)) {
    await tx.subscription.update({
      where: { userId },
      data: { status: 'past_due', pastDueSince: row.pastDueSince ?? at, lastEventAt: at },
    });
    return [userId];
  }
  if (event.type === 'invoice.paid' && row.status === 'past_due') {
    await tx.subscription.update({
      where: { userId },
      data: { status: 'active', pastDueSince: null, lastEventAt: at },
    });
    return [userId];
  }
  return [];
}

/**
 * charge.refunded: records the charge's cumulative refunded amount on the invoice it paid
 * (`invoiceId`, resolved before the transaction). Never lowers it, so order does not matter.
 */
export async function applyRefund(
  tx: Tx,
  event: EventOf<'charge.refunded'>,
  invoiceId: string | null,
): Promise<string[]> {
  const charge = event.data.object;
  if (!invoiceId) return [];
  const invoice = await tx.invoice.findUniqueOrThrow({ where: { id: invoiceId } });
  const amountRefunded = Math.max(invoice.amountRefunded, charge.amount_refunded);
  await tx.invoice.update({
    where: { id: invoice.id },
    data: { amountRefunded, stripeChargeId: invoice.stripeChargeId ?? charge.id },
  });
  await recordAudit(
    tx,
    {},
    {
      action: 'billing.refund_recorded',
      targetType: 'invoice',
      targetId: invoice.id,
      metadata: { chargeId: charge.id, amountRefunded, currency: charge.currency, eventId: event.id },
    },
  );
  return [];
}
