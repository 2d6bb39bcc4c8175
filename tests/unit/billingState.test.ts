import { describe, expect, it } from 'vitest';
import { nextSubscriptionState, type SubscriptionSnapshot } from '../../src/services/billing/stripeSubscriptionEvents.js';

const at = new Date('2026-11-20T12:00:00Z');
const periodStart = new Date('2026-11-05T00:00:00Z');
const periodEnd = new Date('2026-12-05T00:00:00Z');
const row = (over = {}) => ({
  plan: 'free' as const,
  status: 'active',
  stripeSubscriptionId: null as string | null,
  stripeCustomerId: 'cus_1' as string | null,
  currentPeriodStart: null as Date | null,
  currentPeriodEnd: null as Date | null,
  cancelAtPeriodEnd: false,
  pendingPlan: null,
  pastDueSince: null as Date | null,
  lastEventAt: null as Date | null,
  ...over,
});
const snap = (over: Partial<SubscriptionSnapshot> = {}): SubscriptionSnapshot => ({
  subscriptionId: 'sub_1',
  customerId: 'cus_1',
  status: 'active',
  plan: 'pro',
  periodStart,
  periodEnd,
  cancelAtPeriodEnd: false,
  ...over,
});
const subscribed = (plan: 'pro' | 'enterprise') =>
  row({
    plan,
    stripeSubscriptionId: 'sub_1',
    currentPeriodStart: periodStart,
    currentPeriodEnd: periodEnd,
    lastEventAt: new Date(at.getTime() - 1000),
  });

describe('nextSubscriptionState', () => {
  it('should grant the plan of an active subscription and record the event time', () => {
    expect(nextSubscriptionState(row(), snap(), at)).toMatchObject({
      plan: 'pro',
      status: 'active',
      stripeSubscriptionId: 'sub_1',
      currentPeriodEnd: periodEnd,
      lastEventAt: at,
    });
  });

  it('should ignore a snapshot older than the newest applied event, and apply an equal one', () => {
    expect(nextSubscriptionState(row({ lastEventAt: new Date(at.getTime() + 1000) }), snap(), at)).toBeNull();
    expect(nextSubscriptionState(row({ lastEventAt: at }), snap(), at)).not.toBeNull();
  });

  it('should apply an upgrade at once and keep a downgrade pending within the period', () => {
    expect(nextSubscriptionState(subscribed('pro'), snap({ plan: 'enterprise' }), at)).toMatchObject({
      plan: 'enterprise',
      pendingPlan: null,
    });
    expect(nextSubscriptionState(subscribed('enterprise'), snap({ plan: 'pro' }), at)).toMatchObject({
      plan: 'enterprise',
      pendingPlan: 'pro',
    });
  });

  it('should apply the downgrade when the next period starts', () => {
    const renewed = snap({ plan: 'pro', periodStart: periodEnd, periodEnd: new Date('2027-01-05T00:00:00Z') });
    expect(nextSubscriptionState(subscribed('enterprise'), renewed, new Date('2026-12-05T00:00:05Z'))).toMatchObject({
      plan: 'pro',
      pendingPlan: null,
    });
  });

  it('should fall back to free for ended subscriptions and clear pending changes', () => {
    for (const status of ['canceled', 'unpaid', 'incomplete_expired']) {
      expect(nextSubscriptionState(subscribed('pro'), snap({ status, cancelAtPeriodEnd: true }), at)).toMatchObject({
        plan: 'free',
        pendingPlan: null,
        cancelAtPeriodEnd: false,
      });
    }
  });

  it('should not grant a plan while the first payment is incomplete', () => {
    expect(nextSubscriptionState(row(), snap({ status: 'incomplete' }), at)).toMatchObject({
      plan: 'free',
      status: 'incomplete',
    });
  });

  it('should start the grace clock on past_due once and stop it when active again', () => {
    const first = nextSubscriptionState(subscribed('pro'), snap({ status: 'past_due' }), at)!;
    expect(first.pastDueSince).toEqual(at);
    const later = new Date(at.getTime() + 86_400_000);
    expect(nextSubscriptionState({ ...first }, snap({ status: 'past_due' }), later)!.pastDueSince).toEqual(at);
    expect(nextSubscriptionState({ ...first }, snap(), later)!.pastDueSince).toBeNull();
  });
});
