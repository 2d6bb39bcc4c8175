/**
 * Plan quotas. The plan that applies is derived from the owner's Subscription row (grace
 * periods and period ends are time-based, so they are computed, not stored); requests are
 * counted per owner and billing period in the ingestion writer's batch transaction
 * (`llmguard_ingest_batch`), which refuses the rows past the limit, so the limit is never
 * overshot, a stored request is always a counted one, and no request ever runs a COUNT(*).
 */
import { LRUCache } from 'lru-cache';
import {
  planConfigFromEnv,
  type PlanConfig,
  type PlanDefinition,
  type PlanId,
  type PlanKey,
} from '../../config/plans.js';
import type { PrismaClient } from '../../db/prisma.js';
import { AppError } from '../../utils/AppError.js';
import type { QuotaGate } from '../ingest/admission.js';
import { quotaCounterKey, type QuotaCounter } from '../ingest/quotaCounters.js';
import type { ProjectContext } from '../auth/keyCache.js';
import { DAY_MS, retryAfterSeconds } from '../../utils/time.js';
import { NO_SUCH_ID, type QueryWarmable } from '../requestWarmup.js';

/** Stripe statuses under which a paid plan is served. */
export const SERVING_STATUSES = new Set(['active', 'trialing', 'past_due']);

/** The columns of a Subscription row that decide the plan. */
export interface SubscriptionState {
  plan: PlanId;
  status: string;
  currentPeriodStart: Date | null;
  currentPeriodEnd: Date | null;
  cancelAtPeriodEnd: boolean;
  pendingPlan: PlanId | null;
  pastDueSince: Date | null;
}

/**
 * The plan whose limits apply at `now`: free without a serving subscription, free once a
 * cancellation reaches its period end or a past_due subscription outlives its grace period,
 * the pending (downgraded) plan once the paid-for period is over.
 */
export function effectivePlan(sub: SubscriptionState | null, now: Date, graceDays: number): PlanId {
  if (!sub || sub.plan === 'free' || !SERVING_STATUSES.has(sub.status)) return 'free';
  const periodOver = sub.currentPeriodEnd !== null && now >= sub.currentPeriodEnd;
  if (periodOver && sub.cancelAtPeriodEnd) return 'free';
  if (
    sub.status === 'past_due' &&
    sub.pastDueSince &&
    now.getTime() - sub.pastDueSince.getTime() >= graceDays * DAY_MS
  ) {
    return 'free';
  }
  if (periodOver && sub.pendingPlan) return sub.pendingPlan;
  return sub.plan;
}

/** The counting period: the subscription's billing period on a paid plan, else the UTC calendar month. */
export function usagePeriod(sub: SubscriptionState | null, plan: PlanId, now: Date): { start: Date; end: Date } {
  const start = sub?.currentPeriodStart;
  const end = sub?.currentPeriodEnd;
  if (plan !== 'free' && start && end && start <= now && now < end) return { start, end };
  return {
    start: new Date(Date.UTC(now.getUTCFullYear(), now.getUTCMonth(), 1)),
    end: new Date(Date.UTC(now.getUTCFullYear(), now.getUTCMonth() + 1, 1)),
  };
}

export interface QuotaState {
  plan: PlanDefinition;
  periodStart: Date;
  resetAt: Date;
}

export interface Usage {
  plan: PlanKey;
  requests: number;
  /** null: no limit (self-hosted `unlimited`) */
  limit: number | null;
  projects: number;
  projectLimit: number | null;
  periodStart: Date;
  resetAt: Date;
}

type QuotaDb = Pick<PrismaClient, 'subscription' | 'usageCounter' | 'project' | '$queryRaw'>;

/**
 * The plan and counting period that apply to a user now. Self-hosted: the configured plan and
 * the UTC calendar month, for everyone; otherwise from the user's Stripe subscription.
 */
export async function quotaStateFor(
  db: Pick<PrismaClient, 'subscription'>,
  userId: string,
  config: PlanConfig,
  now = new Date(),
): Promise<QuotaState> {
  if (config.selfHosted) {
    const period = usagePeriod(null, 'free', now);
    return { plan: config.selfHosted, periodStart: period.start, resetAt: period.end };
  }
  const sub = await db.subscription.findUnique({ where: { userId } });
  const planId = effectivePlan(sub, now, config.pastDueGraceDays);
  const period = usagePeriod(sub, planId, now);
  return { plan: config.plans[planId], periodStart: period.start, resetAt: period.end };
}

/**
 * The count a request is written under when its plan has no request limit: it is still
 * counted (the subscription read-out shows usage), against a bound no month reaches.
 */
const NO_REQUEST_LIMIT = Number.MAX_SAFE_INTEGER;

/**
 * The counter of one request: a class rather than an object with a `refusal` closure, because
 * `npm start` runs the source through tsx, whose name-keeping helper gives every closure made at
 * run time its name with a defineProperty (in a CPU profile of bench:ingest the quota's closure
 * and the PII scan's cost 0.7 of the server's 55 busy seconds).
 */
class PlanCounter implements QuotaCounter {
  readonly periodStart: Date;
  readonly limit: number;
  readonly key: string;

  constructor(
    readonly userId: string,
    private readonly state: QuotaState,
    private readonly full: LRUCache<string, true>,
  ) {
    this.periodStart = state.periodStart;
    this.limit = state.plan.requestsPerPeriod ?? NO_REQUEST_LIMIT;
    this.key = quotaCounterKey(this);
  }

  /** The 429 of a request that does not fit; the counter is remembered as full. */
  refusal(): AppError {
    const { plan, resetAt } = this.state;
    this.full.set(this.key, true);
    const retryAfter = retryAfterSeconds(resetAt.getTime() - Date.now());
    return new AppError(
      'QUOTA_EXCEEDED',
      `The ${plan.name} plan's ${plan.requestsPerPeriod} requests for this period are used up`,
      {
        details: { plan: plan.id, limit: plan.requestsPerPeriod, resetAt: resetAt.toISOString() },
        headers: { 'Retry-After': retryAfter },
      },
    );
  }
}

/** The QuotaGate of /llm/request, plus usage read-outs for the billing endpoints. */
export class QuotaService implements QuotaGate, QueryWarmable {
  /** Plan state per owner, so the hot path runs no statement of its own; billing changes evict it. */
  private states: LRUCache<string, QuotaState>;
  /**
   * Counters seen full (a write was refused), so later calls are refused before any work. Kept
   * until the period ends or the plan changes (`invalidate`), at most the state cache's TTL.
   */
  private full: LRUCache<string, true>;

  constructor(
    private prisma: QuotaDb,
    private config: PlanConfig,
    options: { ttlMs?: number } = {},
  ) {
    const ttl = options.ttlMs ?? 15_000;
    this.states = new LRUCache({ max: 50_000, ttl });
    this.full = new LRUCache({ max: 50_000, ttl });
  }

  async state(userId: string, now = new Date()): Promise<QuotaState> {
    const cached = this.states.get(userId);
    if (cached && now >= cached.periodStart && now < cached.resetAt) return cached;
    const state = await quotaStateFor(this.prisma, userId, this.config, now);
    this.states.set(userId, state);
    return state;
  }

  /**
   * The counter a request of this project is written under. The count itself happens in the
   * ingestion writer's batch transaction (a row is stored if and only if it was counted, and the
   * limit is never overshot); a counter already seen full is refused here at once.
   */
  async counter(project: ProjectContext): Promise<QuotaCounter> {
    const now = new Date();
    const state = await this.state(project.ownerId, now);
    const counter = new PlanCounter(project.ownerId, state, this.full);
    if (this.full.has(counter.key)) throw counter.refusal();
    return counter;
  }

  /** The plan lookup for an owner that does not exist, caching nothing (services/requestWarmup.ts). */
  async warmUpQueries(): Promise<void> {
    await quotaStateFor(this.prisma, NO_SUCH_ID, this.config);
  }

  /** Forgets a user's cached plan (after a webhook changed the subscription). */
  invalidate(userId: string): void {
    this.states.delete(userId);
    for (const key of this.full.keys()) if (key.startsWith(`${userId}|`)) this.full.delete(key);
  }

  /** Requests used in the current period and live projects, against the plan's limits. */
  async usage(userId: string): Promise<Usage> {
    this.invalidate(userId);
    const { plan, periodStart, resetAt } = await this.state(userId);
    const [counter, projects] = await Promise.all([
      this.prisma.usageCounter.findUnique({ where: { userId_periodStart: { userId, periodStart } } }),
      this.prisma.project.count({ where: { ownerId: userId, deletedAt: null } }),
    ]);
    return {
      plan: plan.id,
      requests: Number(counter?.requests ?? 0n),
      limit: plan.requestsPerPeriod,
      projects,
      projectLimit: plan.projects,
      periodStart,
      resetAt,
    };
  }
}

/**
 * Refuses a new project once the owner's plan limit is reached (403 PLAN_LIMIT). Run inside the
 * creating transaction: the owner's row is locked so two concurrent creations cannot both pass.
 */
export async function assertProjectAllowance(
  tx: Pick<PrismaClient, 'subscription' | 'project' | '$queryRaw'>,
  userId: string,
  config: PlanConfig = planConfigFromEnv(),
): Promise<void> {
  const { plan } = await quotaStateFor(tx, userId, config);
  if (plan.projects === null) return;
  await tx.$queryRaw`SELECT 1 FROM users WHERE id = ${userId} FOR NO KEY UPDATE`;
  const projects = await tx.project.count({ where: { ownerId: userId, deletedAt: null } });
  if (projects >= plan.projects) {
    throw new AppError('PLAN_LIMIT', `The ${plan.name} plan allows ${plan.projects} projects; upgrade for more`, {
      details: { plan: plan.id, limit: plan.projects },
    });
  }
}
