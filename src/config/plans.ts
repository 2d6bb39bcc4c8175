/**
 * Plans and their limits, in one place. Stripe price ids come from the environment
 * (STRIPE_PRICE_PRO, STRIPE_PRICE_ENTERPRISE); with Stripe, new users are on `free`. Without
 * Stripe (self-hosted), every account gets the one plan SELF_HOSTED_PLAN names, `unlimited` by
 * default, with the SELF_HOSTED_* overrides applied. A limit of null means no limit.
 */
import { env as defaultEnv, type Env } from './env.js';

export type PlanId = 'free' | 'pro' | 'enterprise';
/** What a plan read-out can name: a Stripe plan, or `unlimited` (self-hosted only). */
export type PlanKey = PlanId | 'unlimited';

export interface PlanLimits {
  /** LLM requests per billing period (calendar month unless a paid Stripe period applies) */
  requestsPerPeriod: number | null;
  projects: number | null;
  /** raw request rows older than this are deleted by the retention job */
  retentionDays: number | null;
  /** listed with the plans; not enforced by the server */
  rcaPerMonth: number | null;
}

export interface PlanDefinition extends PlanLimits {
  id: PlanKey;
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
    stripePriceId: defaultEnv.STRIPE_PRICE_PRO,
  },
  enterprise: {
    id: 'enterprise',
    name: 'Enterprise',
    requestsPerPeriod: 50_000_000,
    projects: 1_000,
    retentionDays: 365,
    rcaPerMonth: 100_000,
    stripePriceId: defaultEnv.STRIPE_PRICE_ENTERPRISE,
  },
};

export const UNLIMITED_PLAN: PlanDefinition = {
  id: 'unlimited',
  name: 'Unlimited',
  requestsPerPeriod: null,
  projects: null,
  retentionDays: null,
  rcaPerMonth: null,
};

/** What decides the limits an account gets. */
export interface PlanConfig {
  plans: Record<PlanId, PlanDefinition>;
  /** A past_due subscription keeps its plan this many days */
  pastDueGraceDays: number;
  /** Self-hosted (no Stripe): the one plan every account gets. null: plans come from Stripe. */
  selfHosted: PlanDefinition | null;
}

/** The self-hosted plan the environment describes: SELF_HOSTED_PLAN with its overrides. */
export function selfHostedPlanFromEnv(env: Env = defaultEnv): PlanDefinition {
  const base = env.SELF_HOSTED_PLAN === 'unlimited' ? UNLIMITED_PLAN : PLANS[env.SELF_HOSTED_PLAN];
  const { stripePriceId: _price, ...limits } = base;
  return {
    ...limits,
    requestsPerPeriod: env.SELF_HOSTED_REQUESTS_PER_MONTH ?? base.requestsPerPeriod,
    projects: env.SELF_HOSTED_MAX_PROJECTS ?? base.projects,
    retentionDays: env.SELF_HOSTED_LOG_RETENTION_DAYS ?? base.retentionDays,
  };
}

/** Plan configuration from the environment: self-hosted exactly when no Stripe key is set. */
export function planConfigFromEnv(env: Env = defaultEnv): PlanConfig {
  return {
    plans: PLANS,
    pastDueGraceDays: env.BILLING_PAST_DUE_GRACE_DAYS,
    selfHosted: env.STRIPE_SECRET_KEY ? null : selfHostedPlanFromEnv(env),
  };
}

export function planFor(id: string | null | undefined, config: PlanConfig = planConfigFromEnv()): PlanDefinition {
  if (config.selfHosted) return config.selfHosted;
  return config.plans[(id ?? 'free') as PlanId] ?? config.plans.free;
}
