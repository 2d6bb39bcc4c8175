/**
 * The daily jobs: rollup repair (re-derive the closed day from raw rows) and raw-log retention
 * by plan; and the SQL latency buckets agreeing with domain/metrics/histogram.
 */
import { Prisma } from '../../src/generated/prisma/client.js';
import pino from 'pino';
import { beforeAll, describe, expect, it } from 'vitest';
import { logRetentionJob, rollupRepairJob } from '../../src/cron/jobs.js';
import { planConfigFromEnv } from '../../src/config/plans.js';
import { runJob } from '../../src/cron/scheduler.js';
import { latencyBucketSql } from '../../src/db/queries/rollupQueries.js';
import { applyRawLogRetention } from '../../src/services/analytics/logRetentionService.js';
import { repairRollupDay, utcDayStart } from '../../src/services/analytics/rollupService.js';
import { bucketIndex } from '../../src/domain/metrics/histogram.js';
import { aggregateBatch } from '../../src/domain/metrics/rollupDeltas.js';
import { createProject, registerUser, type TestUser } from '../helpers/factories.js';
import { useTestApp } from '../helpers/testApp.js';
import { insertRows, makeRow, rng, type SeedRow } from './metricsFixtures.js';

const ctx = useTestApp();
const silent = pino({ level: 'silent' });
const H = 3_600_000;
const D = 86_400_000;
let user: TestUser;

beforeAll(async () => {
  user = await registerUser(ctx.app);
});

async function rollupsOf(projectId: string, from: Date, to: Date) {
  return ctx.prisma.metricRollup.findMany({
    where: { projectId, hour: { gte: from, lt: to } },
    orderBy: [{ hour: 'asc' }, { model: 'asc' }, { endpoint: 'asc' }],
  });
}

/** Rollup rows in the shape aggregateBatch produces, for an exact comparison. */
function comparable(rows: Awaited<ReturnType<typeof rollupsOf>>) {
  return rows.map((r) => ({
    key: `${r.hour.toISOString()}|${r.model}|${r.endpoint}`,
    requests: r.requests,
    errors: r.errors,
    promptTokens: Number(r.promptTokens),
    completionTokens: Number(r.completionTokens),
    cost: Math.round(r.costUsd * 1e8),
    unpricedRequests: r.unpricedRequests,
    latencySumMs: Number(r.latencySumMs),
    latencyHist: r.latencyHist,
    riskSum: Number(r.riskSum),
    highRiskCount: r.highRiskCount,
  }));
}

function expectedFrom(rows: SeedRow[]) {
  return aggregateBatch(rows).map((d) => ({
    key: `${d.hour.toISOString()}|${d.model}|${d.endpoint}`,
    requests: d.requests,
    errors: d.errors,
    promptTokens: d.promptTokens,
    completionTokens: d.completionTokens,
    cost: Math.round(d.costUsd * 1e8),
    unpricedRequests: d.unpricedRequests,
    latencySumMs: d.latencySumMs,
    latencyHist: d.latencyHist,
    riskSum: d.riskSum,
    highRiskCount: d.highRiskCount,
  }));
}

describe('latency buckets in SQL', () => {
  it('should put every latency from 0 to 200,000 ms in the same bucket as bucketIndex', async () => {
    const rows = await ctx.prisma.$queryRaw<{ l: number; b: number }[]>`
      SELECT l, ${latencyBucketSql(Prisma.sql`l`)}::int AS b FROM generate_series(0, 200000) AS l`;
    const mismatches = rows.filter((r) => r.b !== bucketIndex(r.l));
    expect(rows).toHaveLength(200_001);
    expect(mismatches.slice(0, 5)).toEqual([]);
  });
});

describe('rollup-repair job', () => {
  it("should restore yesterday's corrupted, missing and bogus rollups and leave other days alone", async () => {
    const projectId = (await createProject(ctx.app, user)).id;
    const yesterday = new Date(utcDayStart(new Date()).getTime() - D);
    const dayBefore = new Date(yesterday.getTime() - D);
    const random = rng(7);
    const rows = Array.from({ length: 300 }, () =>
      makeRow(projectId, new Date(yesterday.getTime() + Math.floor(random() * D)), {}, random),
    );
    await insertRows(ctx.prisma, rows);
    await ctx.prisma.$transaction((tx) => repairRollupDay(tx, yesterday));
    const dayEnd = new Date(yesterday.getTime() + D);
    expect(comparable(await rollupsOf(projectId, yesterday, dayEnd))).toEqual(expectedFrom(rows));

    // Drift: one row inflated with a wrong histogram, one lost, one that should not exist.
    const [first, second] = await rollupsOf(projectId, yesterday, dayEnd);
    const pk = (r: typeof first & object) => ({
      projectId_hour_model_endpoint: { projectId, hour: r.hour, model: r.model, endpoint: r.endpoint },
    });
    await ctx.prisma.metricRollup.update({
      where: pk(first!),
      data: { requests: { increment: 7 }, costUsd: 99, latencyHist: first!.latencyHist.map((c) => c + 1) },
    });
    await ctx.prisma.metricRollup.delete({ where: pk(second!) });
    await ctx.prisma.metricRollup.create({
      data: { projectId, hour: new Date(yesterday.getTime() + 3 * H), model: 'ghost', requests: 5, latencyHist: [] },
    });
    // A row of another day is not the job's business.
    const other = await ctx.prisma.metricRollup.create({
      data: { projectId, hour: dayBefore, model: 'gpt-4o', requests: 3, latencyHist: [] },
    });

    expect(await runJob(ctx.prisma, rollupRepairJob, silent)).toBe(true);
    expect(comparable(await rollupsOf(projectId, yesterday, dayEnd))).toEqual(expectedFrom(rows));
    expect(await ctx.prisma.metricRollup.findUnique({ where: pk(other) })).toMatchObject({ requests: 3 });
  });
});

// Retention by Stripe plan (free 7 days, pro 30); self-hosted retention is in selfHostedBilling.test.ts.
const stripePlans = { ...planConfigFromEnv(), selfHosted: null };

describe('log-retention job', () => {
  it("should delete raw rows past each owner's plan retention and keep rollups", async () => {
    const now = Date.now();
    const free = (await createProject(ctx.app, user)).id;
    const proUser = await registerUser(ctx.app);
    await ctx.prisma.subscription.upsert({
      where: { userId: proUser.id },
      create: { userId: proUser.id, plan: 'pro' },
      update: { plan: 'pro' },
    });
    const pro = (await createProject(ctx.app, proUser)).id;
    const ago = (days: number) => new Date(now - days * D);
    const freeOld = makeRow(free, ago(8));
    const freeNew = makeRow(free, ago(6));
    const proOld = makeRow(pro, ago(31));
    const proNew = makeRow(pro, ago(20));
    await insertRows(ctx.prisma, [freeOld, freeNew, proOld, proNew]);
    for (const row of [freeOld, proOld]) await ctx.prisma.$transaction((tx) => repairRollupDay(tx, row.createdAt));
    const rollupsBefore = await ctx.prisma.metricRollup.count({ where: { projectId: { in: [free, pro] } } });
    expect(rollupsBefore).toBe(2);

    expect(await runJob(ctx.prisma, logRetentionJob(stripePlans), silent)).toBe(true);
    const left = await ctx.prisma.llmRequest.findMany({
      where: { projectId: { in: [free, pro] } },
      select: { id: true },
    });
    expect(left.map((r) => r.id).sort()).toEqual([freeNew.id, proNew.id].sort());
    expect(await ctx.prisma.metricRollup.count({ where: { projectId: { in: [free, pro] } } })).toBe(rollupsBefore);
  });

  it('should delete in batches until nothing old is left', async () => {
    const projectId = (await createProject(ctx.app, user)).id;
    const old = Array.from({ length: 7 }, (_, i) => makeRow(projectId, new Date(Date.now() - (10 + i) * D)));
    await insertRows(ctx.prisma, old);
    const result = await applyRawLogRetention(ctx.prisma, new Date(), 2, stripePlans);
    expect(result.deleted).toBeGreaterThanOrEqual(7);
    expect(await ctx.prisma.llmRequest.count({ where: { projectId } })).toBe(0);
  });
});
