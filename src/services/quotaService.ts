/**
 * Plan quotas. The plan that applies is derived from the owner's Subscription row (grace
 * periods and period ends are time-based, so they are computed, not stored); requests are
 * counted per owner and billing period by an atomic upsert that refuses to pass the limit
 * (concurrent requests are granted in batches), so the limit is never overshot and no request
 * ever runs a COUNT(*).
 */
import { LRUCache } from 'lru-cache';
import { env } from '../config/env.js';
import { PLANS, type PlanDefinition, type PlanId } from '../config/plans.js';
import type { PrismaClient } from '../db/prisma.js';
import type { BillingConfig } from '../integrations/stripeClient.js';
import { AppError } from '../utils/AppError.js';
import type { QuotaGate } from './ingestService.js';
import type { ProjectContext } from './keyCache.js';

const DAY_MS = 86_400_000;

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
  plan: PlanId;
  requests: number;
  limit: number;
  projects: number;
  projectLimit: number;
  periodStart: Date;
  resetAt: Date;
}

type QuotaDb = Pick<PrismaClient, 'subscription' | 'usageCounter' | 'project' | '$queryRaw'>;

/** The plan and counting period that apply to a user now. */
export async function quotaStateFor(
  db: Pick<PrismaClient, 'subscription'>,
  userId: string,
  plans: Record<PlanId, PlanDefinition>,
  graceDays: number,
  now = new Date(),
): Promise<QuotaState> {
  const sub = await db.subscription.findUnique({ where: { userId } });
  const planId = effectivePlan(sub, now, graceDays);
  const period = usagePeriod(sub, planId, now);
  return { plan: plans[planId], periodStart: period.start, resetAt: period.end };
}

/**
 * Adds `n` requests to the period's counter if all of them fit under `limit`; returns the new
 * count, or null when they do not fit (nothing is added then). The row lock taken by ON CONFLICT
 * serialises concurrent callers and the WHERE is re-checked on the latest row: no overshoot.
 */
export async function addUsage(
  db: Pick<PrismaClient, '$queryRaw'>,
  userId: string,
  periodStart: Date,
  limit: number,
  n = 1,
): Promise<number | null> {
  if (n > limit) return null;
  const rows = await db.$queryRaw<{ requests: bigint }[]>`
    INSERT INTO usage_counters ("userId", "periodStart", requests, "updatedAt")
    VALUES (${userId}, ${periodStart}, ${n}, now())
    ON CONFLICT ("userId", "periodStart") DO UPDATE
      SET requests = usage_counters.requests + ${n}, "updatedAt" = now()
      WHERE usage_counters.requests + ${n} <= ${limit}
    RETURNING requests`;
  return rows[0] ? Number(rows[0].requests) : null;
}

/** How many of `n` requests fit: all at once, or unit by unit when the batch crosses the limit. */
export async function grantUsage(
  db: Pick<PrismaClient, '$queryRaw'>,
  userId: string,
  periodStart: Date,
  limit: number,
  n: number,
): Promise<number> {
  if ((await addUsage(db, userId, periodStart, limit, n)) !== null) return n;
  let granted = 0;
  while (granted < n && (await addUsage(db, userId, periodStart, limit, 1)) !== null) granted++;
  return granted;
}

interface Waiter {
  resolve: (granted: boolean) => void;
  reject: (err: unknown) => void;
}

/** The QuotaGate of /llm/request, plus usage read-outs for the billing endpoints. */
export class QuotaService implements QuotaGate {
  /** Plan state per owner, so the hot path runs one statement; billing changes evict it. */
  private states: LRUCache<string, QuotaState>;
  /** Waiting consume() calls per counter, and the counters with a statement in flight. */
  private queued = new Map<string, Waiter[]>();
  private flushing = new Set<string>();

  constructor(
    private prisma: QuotaDb,
    private config: Pick<BillingConfig, 'plans' | 'pastDueGraceDays'>,
    options: { ttlMs?: number } = {},
  ) {
    this.states = new LRUCache({ max: 50_000, ttl: options.ttlMs ?? 15_000 });
  }

  async state(userId: string, now = new Date()): Promise<QuotaState> {
    const cached = this.states.get(userId);
    if (cached && now >= cached.periodStart && now < cached.resetAt) return cached;
    const state = await quotaStateFor(this.prisma, userId, this.config.plans, this.config.pastDueGraceDays, now);
    this.states.set(userId, state);
    return state;
  }

  /** Counts the request against the owner's plan; 429 QUOTA_EXCEEDED with the reset time when over. */
  async consume(project: ProjectContext): Promise<void> {
    const now = new Date();
    const { plan, periodStart, resetAt } = await this.state(project.ownerId, now);
    if (await this.take(project.ownerId, periodStart, plan.requestsPerPeriod)) return;
    const retryAfter = Math.max(1, Math.ceil((resetAt.getTime() - now.getTime()) / 1000));
    throw new AppError(
      'QUOTA_EXCEEDED',
      `The ${plan.name} plan's ${plan.requestsPerPeriod} requests for this period are used up`,
      {
        details: { plan: plan.id, limit: plan.requestsPerPeriod, resetAt: resetAt.toISOString() },
        headers: { 'Retry-After': String(retryAfter) },
      },
    );
  }

  /**
   * One unit of quota. Calls for the same counter that arrive while its statement runs are
   * granted together by the next one (group commit): a busy owner's counter row is updated once
   * per round trip instead of once per request, which would serialise all of its requests.
   */
  private take(userId: string, periodStart: Date, limit: number): Promise<boolean> {
    const key = `${userId}|${periodStart.getTime()}|${limit}`;
    return new Promise<boolean>((resolve, reject) => {
      const queue = this.queued.get(key) ?? [];
      queue.push({ resolve, reject });
      this.queued.set(key, queue);
      if (!this.flushing.has(key)) void this.flush(key, userId, periodStart, limit);
    });
  }

  private async flush(key: string, userId: string, periodStart: Date, limit: number): Promise<void> {
    this.flushing.add(key);
    try {
      for (let batch = this.queued.get(key); batch?.length; batch = this.queued.get(key)) {
        this.queued.delete(key);
        try {
          const granted = await grantUsage(this.prisma, userId, periodStart, limit, batch.length);
          batch.forEach((w, i) => w.resolve(i < granted));
        } catch (err) {
          batch.forEach((w) => w.reject(err));
        }
      }
    } finally {
      this.flushing.delete(key);
    }
  }

  /** Forgets a user's cached plan (after a webhook changed the subscription). */
  invalidate(userId: string): void {
    this.states.delete(userId);
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
  plans: Record<PlanId, PlanDefinition> = PLANS,
  graceDays: number = env.BILLING_PAST_DUE_GRACE_DAYS,
): Promise<void> {
  await tx.$queryRaw`SELECT 1 FROM users WHERE id = ${userId} FOR NO KEY UPDATE`;
  const { plan } = await quotaStateFor(tx, userId, plans, graceDays);
  const projects = await tx.project.count({ where: { ownerId: userId, deletedAt: null } });
  if (projects >= plan.projects) {
    throw new AppError('PLAN_LIMIT', `The ${plan.name} plan allows ${plan.projects} projects; upgrade for more`, {
      details: { plan: plan.id, limit: plan.projects },
    });
  }
}
