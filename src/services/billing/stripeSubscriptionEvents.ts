/**
 * Subscription state from Stripe events. Each event is reduced to a snapshot; the snapshot is
 * applied to the user's Subscription row under a row lock, and only if the event is not older
 * than the newest one already applied (Subscription.lastEventAt).
 */
import type Stripe from 'stripe';
import type { PlanId } from '../../config/plans.js';
import type { Prisma, Subscription } from '../../generated/prisma/client.js';
import { stripeId, type BillingConfig } from '../../integrations/stripeClient.js';
import { recordAudit } from '../ops/auditService.js';

export type Tx = Prisma.TransactionClient;
export type EventOf<T extends Stripe.Event['type']> = Extract<Stripe.Event, { type: T }>;

const PLAN_RANK: Record<PlanId, number> = { free: 0, pro: 1, enterprise: 2 };
/** Statuses after which the subscription no longer pays for anything. */
const ENDED = new Set(['canceled', 'incomplete_expired', 'unpaid', 'paused']);

/** What one event says about a subscription. `plan: null` = the event does not say. */
export interface SubscriptionSnapshot {
  subscriptionId: string | null;
  customerId: string | null;
  status: string;
  plan: PlanId | null;
  periodStart: Date | null;
  periodEnd: Date | null;
  cancelAtPeriodEnd: boolean;
}

type SubscriptionFields = Pick<
  Subscription,
  | 'plan'
  | 'status'
  | 'stripeSubscriptionId'
  | 'stripeCustomerId'
  | 'currentPeriodStart'
  | 'currentPeriodEnd'
  | 'cancelAtPeriodEnd'
  | 'pendingPlan'
  | 'pastDueSince'
  | 'lastEventAt'
>;

/**
 * The row after applying a snapshot taken at `at`. Upgrades apply at once; a downgrade within
 * the paid-for period is kept as `pendingPlan` until that period ends; ended subscriptions fall
 * back to free; past_due starts the grace clock. Returns null for a stale snapshot.
 */
export function nextSubscriptionState(
  row: SubscriptionFields,
  snap: SubscriptionSnapshot,
  at: Date,
): SubscriptionFields | null {
  if (row.lastEventAt && row.lastEventAt > at) return null;
  let { plan, pendingPlan } = row;
  if (ENDED.has(snap.status)) {
    plan = 'free';
    pendingPlan = null;
  } else if (snap.plan && snap.status !== 'incomplete') {
    const samePeriod = row.currentPeriodEnd?.getTime() === snap.periodEnd?.getTime();
    const downgrade = PLAN_RANK[snap.plan] < PLAN_RANK[row.plan] && row.stripeSubscriptionId === snap.subscriptionId;
    if (downgrade && samePeriod && row.currentPeriodEnd && at < row.currentPeriodEnd) {
      pendingPlan = snap.plan;
    } else {
      plan = snap.plan;
      pendingPlan = null;
    }
  }
  const ended = ENDED.has(snap.status);
  return {
    plan,
    pendingPlan,
    status: snap.status,
    stripeSubscriptionId: snap.subscriptionId ?? row.stripeSubscriptionId,
    stripeCustomerId: snap.customerId ?? row.stripeCustomerId,
    currentPeriodStart: snap.periodStart ?? row.currentPeriodStart,
    currentPeriodEnd: snap.periodEnd ?? row.currentPeriodEnd,
    cancelAtPeriodEnd: ended ? false : snap.cancelAtPeriodEnd,
    pastDueSince: snap.status === 'past_due' ? (row.pastDueSince ?? at) : null,
    lastEventAt: at,
  };
}

export const fromUnix = (s: number | null | undefined) => (s ? new Date(s * 1000) : null);

function planOf(billing: BillingConfig, priceId: string | undefined, metadataPlan: string | undefined): PlanId | null {
  const byPrice = (Object.keys(billing.plans) as PlanId[]).find((id) => {
    const price = billing.plans[id].stripePriceId;
    return price && price === priceId;
  });
  if (byPrice) return byPrice;
  return metadataPlan === 'pro' || metadataPlan === 'enterprise' ? metadataPlan : null;
}

function snapshotOf(billing: BillingConfig, sub: Stripe.Subscription): SubscriptionSnapshot {
  const item = sub.items?.data?.[0];
  return {
    subscriptionId: sub.id,
    customerId: stripeId(sub.customer),
    status: sub.status,
    plan: planOf(billing, item?.price?.id, sub.metadata?.plan),
    periodStart: fromUnix(item?.current_period_start),
    periodEnd: fromUnix(item?.current_period_end),
    cancelAtPeriodEnd: sub.cancel_at_period_end || sub.cancel_at != null,
  };
}

/** Our user for a Stripe subscription/customer (or the userId we put in the metadata). */
export async function findUserId(
  tx: Tx,
  ref: { subscriptionId?: string | null; customerId?: string | null; userId?: string | null },
): Promise<string | null> {
  const or: Prisma.SubscriptionWhereInput[] = [];
  if (ref.subscriptionId) or.push({ stripeSubscriptionId: ref.subscriptionId });
  if (ref.customerId) or.push({ stripeCustomerId: ref.customerId });
  const row = or.length ? await tx.subscription.findFirst({ where: { OR: or } }) : null;
  if (row) return row.userId;
  if (!ref.userId) return null;
  return (await tx.user.findUnique({ where: { id: ref.userId }, select: { id: true } }))?.id ?? null;
}

/** The user's Subscription row, created if missing, locked for the rest of the transaction. */
export async function lockSubscription(tx: Tx, userId: string): Promise<Subscription> {
  await tx.subscription.upsert({ where: { userId }, create: { userId }, update: {} });
  await tx.$queryRaw`SELECT 1 FROM subscriptions WHERE "userId" = ${userId} FOR UPDATE`;
  return tx.subscription.findUniqueOrThrow({ where: { userId } });
}

/** Applies a snapshot to the user's row; returns whether the row changed. */
async function applySnapshot(tx: Tx, userId: string, snap: SubscriptionSnapshot, event: Stripe.Event) {
  const row = await lockSubscription(tx, userId);
  // Events about another (older) subscription of the same user only count if they bring a live one.
  const foreign = row.stripeSubscriptionId && snap.subscriptionId && row.stripeSubscriptionId !== snap.subscriptionId;
  if (foreign && (ENDED.has(snap.status) || snap.status === 'incomplete')) return false;
  const next = nextSubscriptionState(row, snap, fromUnix(event.created)!);
  if (!next) return false;
  await tx.subscription.update({ where: { userId }, data: next });
  if (next.plan !== row.plan || next.pendingPlan !== row.pendingPlan) {
    await recordAudit(
      tx,
      {},
      {
        action: 'billing.plan_change',
        targetType: 'user',
        targetId: userId,
        metadata: { from: row.plan, to: next.plan, pendingPlan: next.pendingPlan, eventId: event.id },
      },
    );
  }
  return true;
}

/** checkout.session.completed: links the Stripe customer and subscription; a paid session grants the plan. */
export async function applyCheckoutCompleted(
  tx: Tx,
  billing: BillingConfig,
  event: EventOf<'checkout.session.completed'>,
): Promise<string[]> {
  const session = event.data.object;
  if (session.mode !== 'subscription') return [];
  const customerId = stripeId(session.customer);
  const userId = await findUserId(tx, { customerId, userId: session.client_reference_id ?? session.metadata?.userId });
  if (!userId) return [];
  const row = await lockSubscription(tx, userId);
  const paid = session.payment_status === 'paid' || session.payment_status === 'no_payment_required';
  const snap: SubscriptionSnapshot = {
    subscriptionId: stripeId(session.subscription),
    customerId,
    status: paid ? 'active' : row.status,
    plan: paid ? planOf(billing, undefined, session.metadata?.plan) : null,
    periodStart: null,
    periodEnd: null,
    cancelAtPeriodEnd: row.cancelAtPeriodEnd,
  };
  return (await applySnapshot(tx, userId, snap, event)) ? [userId] : [];
}

/** customer.subscription.created / updated / deleted. */
export async function applySubscriptionEvent(
  tx: Tx,
  billing: BillingConfig,
  event: EventOf<'customer.subscription.created' | 'customer.subscription.updated' | 'customer.subscription.deleted'>,
): Promise<string[]> {
  const sub = event.data.object;
  const snap = snapshotOf(billing, sub);
  if (event.type === 'customer.subscription.deleted') snap.status = 'canceled';
  const userId = await findUserId(tx, { ...snap, userId: sub.metadata?.userId });
  if (!userId) return [];
  return (await applySnapshot(tx, userId, snap, event)) ? [userId] : [];
}
