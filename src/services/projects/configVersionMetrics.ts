/**
 * GET /metrics?groupBy=configVersion: the figures of each config version side by side and,
 * while an A/B split runs, whether the arms' error rates differ (two-proportion z-test of
 * each other arm against the first one, the control).
 */
import { configVersionAggregates } from '../../db/queries/configVersionMetrics.js';
import type { PrismaClient } from '../../db/prisma.js';
import { twoProportionZTest } from '../../domain/metrics/significance.js';
import { ratio, round } from '../../domain/metrics/metricsReport.js';
import { readSplit } from './configVersionService.js';

/** p below this: the dashboard says the arms differ. */
export const SIGNIFICANCE_LEVEL = 0.05;

export async function configVersionReport(prisma: PrismaClient, projectId: string, range: { from: Date; to: Date }) {
  const [rows, project] = await Promise.all([
    configVersionAggregates(prisma, projectId, range),
    prisma.project.findUniqueOrThrow({ where: { id: projectId }, select: { configSplit: true } }),
  ]);
  const byConfigVersion = rows.map((r) => ({
    version: r.version,
    requests: r.requests,
    errors: r.errors,
    errorRate: ratio(r.errors, r.requests, 4),
    p50LatencyMs: r.p50LatencyMs,
    p95LatencyMs: r.p95LatencyMs,
    costUsd: round(r.costUsd, 8),
    avgRiskScore: r.avgRiskScore === null ? null : round(r.avgRiskScore, 2),
  }));
  const split = readSplit(project.configSplit);
  if (!split) return { byConfigVersion };
  const count = (version: number) => rows.find((r) => r.version === version) ?? { requests: 0, errors: 0 };
  const [control, ...others] = split.arms;
  const comparisons = others.map((arm) => {
    const a = count(control!.version);
    const b = count(arm.version);
    const { z, pValue } = twoProportionZTest(a.errors, a.requests, b.errors, b.requests);
    const worse = pValue < SIGNIFICANCE_LEVEL ? (z > 0 ? arm.version : control!.version) : null;
    return {
      metric: 'errorRate' as const,
      baseline: control!.version,
      candidate: arm.version,
      baselineErrorRate: ratio(a.errors, a.requests, 4),
      candidateErrorRate: ratio(b.errors, b.requests, 4),
      z: round(z, 4),
      pValue: Number(pValue.toPrecision(4)),
      /** the version with the significantly higher error rate, or null */
      worse,
    };
  });
  return { byConfigVersion, split, comparison: comparisons[0] ?? null, comparisons };
}
