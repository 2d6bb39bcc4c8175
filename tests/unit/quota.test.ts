import { describe, expect, it } from 'vitest';
import { effectivePlan, usagePeriod, type SubscriptionState } from '../../src/services/billing/quotaService.js';

const DAY = 86_400_000;
const now = new Date('2026-11-20T12:00:00Z');
const sub = (over: Partial<SubscriptionState> = {}): SubscriptionState => ({
  plan: 'pro',
  status: 'active',
  currentPeriodStart: new Date('2026-11-05T00:00:00Z'),
  currentPeriodEnd: new Date('2026-12-05T00:00:00Z'),
  cancelAtPeriodEnd: false,
  pendingPlan: null,
  pastDueSince: null,
  ...over,
});

describe('effectivePlan', () => {
  it('should be free without a subscription row', () => {
    expect(effectivePlan(null, now, 7)).toBe('free');
  });

  it('should be the subscribed plan while active or trialing', () => {
    expect(effectivePlan(sub(), now, 7)).toBe('pro');
    expect(effectivePlan(sub({ status: 'trialing', plan: 'enterprise' }), now, 7)).toBe('enterprise');
  });

  it('should be free for ended or not-yet-paid subscriptions', () => {
    for (const status of ['canceled', 'unpaid', 'incomplete', 'incomplete_expired', 'paused']) {
      expect(effectivePlan(sub({ status }), now, 7)).toBe('free');
    }
  });

  it('should keep a cancelled plan until the period end, then be free', () => {
    const cancelling = sub({ cancelAtPeriodEnd: true });
    expect(effectivePlan(cancelling, now, 7)).toBe('pro');
    expect(effectivePlan(cancelling, new Date('2026-12-05T00:00:00Z'), 7)).toBe('free');
  });

  it('should switch to the pending downgrade once the paid-for period is over', () => {
    const downgrading = sub({ plan: 'enterprise', pendingPlan: 'pro' });
    expect(effectivePlan(downgrading, now, 7)).toBe('enterprise');
    expect(effectivePlan(downgrading, new Date('2026-12-06T00:00:00Z'), 7)).toBe('pro');
  });

  it('should keep a past_due plan for the grace period and fall back to free after it', () => {
    const pastDue = sub({ status: 'past_due', pastDueSince: new Date(now.getTime() - 6 * DAY) });
    expect(effectivePlan(pastDue, now, 7)).toBe('pro');
    expect(effectivePlan(pastDue, new Date(now.getTime() + DAY), 7)).toBe('free');
    expect(effectivePlan(pastDue, now, 0)).toBe('free');
  });
});

describe('usagePeriod', () => {
  it('should use the UTC calendar month on free', () => {
    expect(usagePeriod(null, 'free', now)).toEqual({
      start: new Date('2026-11-01T00:00:00Z'),
      end: new Date('2026-12-01T00:00:00Z'),
    });
    expect(usagePeriod(null, 'free', new Date('2026-12-31T23:59:59Z')).end).toEqual(new Date('2027-01-01T00:00:00Z'));
  });

  it('should use the billing period on a paid plan', () => {
    expect(usagePeriod(sub(), 'pro', now)).toEqual({
      start: new Date('2026-11-05T00:00:00Z'),
      end: new Date('2026-12-05T00:00:00Z'),
    });
  });

  it('should fall back to the calendar month when the billing period is over or unknown', () => {
    expect(usagePeriod(sub(), 'pro', new Date('2026-12-10T00:00:00Z')).start).toEqual(new Date('2026-12-01T00:00:00Z'));
    expect(usagePeriod(sub({ currentPeriodStart: null }), 'pro', now).start).toEqual(new Date('2026-11-01T00:00:00Z'));
    expect(usagePeriod(sub(), 'free', now).start).toEqual(new Date('2026-11-01T00:00:00Z'));
  });
});
