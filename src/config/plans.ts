/**
 * Plans and their limits, in one place. Stripe price ids come from the environment
 * (STRIPE_PRICE_PRO, STRIPE_PRICE_ENTERPRISE); new users are on `free`.
 */
import { env } from './env.js';

export type PlanId = 'free' | 'pro' | 'enterprise';

export interface PlanLimits {
  /** LLM requests per billing period (calendar month for free users) */
  requestsPerPeriod: number;
  projects: number;
  /** raw request rows older than this are deleted by the retention job */
  retentionDays: number;
  rcaPerMonth: number;
}

export interface PlanDefinition extends PlanLimits {
  id: PlanId;
  name: string;
  stripePriceId?: string;
}

export const PLANS: Record<PlanId, PlanDefinition> = {
  free: { id: 'free', name: 'Free', requestsPerPeriod: 10_000, projects: 3, retentionDays: 7, rcaPerMonth: 20 },
  pro: {
    id: 'pro',
    name: 'Pro',
    requestsPerPeriod: 1_000_000,
    projects: 25,
    retentionDays: 30,
    rcaPerMonth: 1_000,
    stripePriceId: env.STRIPE_PRICE_PRO,
  },
  enterprise: {
    id: 'enterprise',
    name: 'Enterprise',
    requestsPerPeriod: 50_000_000,
    projects: 1_000,
    retentionDays: 365,
    rcaPerMonth: 100_000,
    stripePriceId: env.STRIPE_PRICE_ENTERPRISE,
  },
};

export function planFor(id: string | null | undefined): PlanDefinition {
  return PLANS[(id ?? 'free') as PlanId] ?? PLANS.free;
}
