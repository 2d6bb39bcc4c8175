/**
 * Metrics and usage analytics for the dashboard, read from rollups. The project is checked
 * before anything is read or served from the cache; rollup updates of batches already
 * committed by this process are awaited first, so a client sees the requests it was just sent
 * a 201 for.
 */
import { rollupAggregates } from '../../db/queries/metricsQueries.js';
import { refusalCounts } from '../../db/queries/refusalQueries.js';
import type { PrismaClient } from '../../db/prisma.js';
import type { ReadRouter } from '../../db/readReplica.js';
import {
  allProjectsTotals,
  dailyTotals,
  riskLevelCounts,
  topEndpoints,
  topEndUsers,
  topOwners,
  topProjects,
} from '../../db/queries/usageQueries.js';
import { feedbackReport, type FeedbackGroup } from '../../domain/feedback/feedbackScore.js';
import type { AccessClaims } from '../../utils/jwt.js';
import { buildMetricsReport, dailySeries, ratio, riskDistribution, round } from '../../domain/metrics/metricsReport.js';
import type { AdminUsageQuery, MetricsQuery, UsageQuery } from '../../validators/metricsValidators.js';
import type { MetricsCache } from './metricsCache.js';
import { getAccessibleProject } from '../projects/projectService.js';
import type { RollupMaintainer } from './rollupService.js';
import { configVersionReport } from '../projects/configVersionMetrics.js';

export interface MetricsDeps {
  prisma: PrismaClient;
  cache: MetricsCache;
  rollups?: RollupMaintainer;
  /** Where the heavy reads go (a read replica when usable); default: `prisma`. */
  reads?: ReadRouter;
}

const onReads = <T>(deps: { prisma: PrismaClient; reads?: ReadRouter }, fn: (db: PrismaClient) => Promise<T>) =>
  deps.reads ? deps.reads.read(fn) : fn(deps.prisma);

const rangeKey = (q: { from: Date; to: Date }) => `${q.from.toISOString()}/${q.to.toISOString()}`;

/** Feedback given in [from, to), per model, configuration version, scale and verdict (a few rows per model). */
async function feedbackGroups(prisma: PrismaClient, projectId: string, range: { from: Date; to: Date }) {
  const groups = await prisma.llmFeedback.groupBy({
    by: ['model', 'configVersion', 'scale', 'negative'],
    where: { projectId, createdAt: { gte: range.from, lt: range.to } },
    _count: { _all: true },
    _sum: { score: true },
  });
  return groups.map((g): FeedbackGroup => ({
    model: g.model,
    configVersion: g.configVersion,
    scale: g.scale,
    negative: g.negative,
    count: g._count._all,
    scoreSum: g._sum.score ?? 0,
  }));
}

/** GET /metrics: summary, per-model breakdown and a gap-free series over whole UTC hours or days. */
export async function getMetrics(deps: MetricsDeps, caller: AccessClaims, q: MetricsQuery) {
  await getAccessibleProject(deps.prisma, q.projectId, caller);
  await deps.rollups?.settled();
  const key = `metrics:${rangeKey(q)}:${q.granularity}:${q.groupBy ?? ''}`;
  return deps.cache.getOrCompute(q.projectId, key, async () => {
    const [aggregates, feedback, refusals, byVersion] = await onReads(deps, (db) =>
      Promise.all([
        rollupAggregates(db, q.projectId, q),
        feedbackGroups(db, q.projectId, q),
        refusalCounts(db, q.projectId, q),
        q.groupBy === 'configVersion' ? configVersionReport(db, q.projectId, q) : undefined,
      ]),
    );
    const report = buildMetricsReport(aggregates, q);
    return {
      projectId: q.projectId,
      from: q.from,
      to: q.to,
      granularity: q.granularity,
      ...report,
      feedback: feedbackReport(feedback),
      ...byVersion,
      refusals,
    };
  });
}

/** GET /metrics/usage: top end users and endpoints, risk distribution and requests per day. */
export async function getUsage(deps: MetricsDeps, caller: AccessClaims, q: UsageQuery) {
  await getAccessibleProject(deps.prisma, q.projectId, caller);
  await deps.rollups?.settled();
  return deps.cache.getOrCompute(q.projectId, `usage:${rangeKey(q)}:${q.limit}`, async () => {
    const [users, endpoints, risk, days] = await onReads(deps, (db) =>
      Promise.all([
        topEndUsers(db, q.projectId, q, q.limit),
        topEndpoints(db, q.projectId, q, q.limit),
        riskLevelCounts(db, q.projectId, q),
        dailyTotals(db, q.projectId, q),
      ]),
    );
    return {
      projectId: q.projectId,
      from: q.from,
      to: q.to,
      endUsers: users[0]?.endUsers ?? 0,
      topEndUsers: users.map(({ endUsers: _all, ...u }) => ({ ...u, costUsd: round(u.costUsd, 8) })),
      topEndpoints: endpoints.map((e) => ({
        endpoint: e.endpoint === '' ? null : e.endpoint,
        requests: e.requests,
        errors: e.errors,
        errorRate: ratio(e.errors, e.requests, 4),
        totalTokens: e.promptTokens + e.completionTokens,
        costUsd: round(e.costUsd, 8),
        avgLatencyMs: ratio(e.latencySumMs, e.requests, 2),
      })),
      riskDistribution: riskDistribution(risk),
      requestsPerDay: dailySeries(days, q),
    };
  });
}

/** GET /admin/usage: totals across all projects, and the projects and owners with most traffic. */
export async function getAdminUsage(prisma: PrismaClient, q: AdminUsageQuery, reads?: ReadRouter) {
  const [totals, projects, owners] = await onReads({ prisma, reads }, (db) =>
    Promise.all([allProjectsTotals(db, q), topProjects(db, q, q.limit), topOwners(db, q, q.limit)]),
  );
  const shape = <T extends { requests: number; errors: number; costUsd: number }>(row: T) => ({
    ...row,
    errorRate: ratio(row.errors, row.requests, 4),
    costUsd: round(row.costUsd, 8),
  });
  return {
    from: q.from,
    to: q.to,
    totals: shape(totals),
    topProjects: projects.map(shape),
    topOwners: owners.map(shape),
  };
}
