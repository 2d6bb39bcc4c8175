/**
 * Rule-based detection right after each committed ingestion batch (not only by cron):
 * latency and risk streaks from the batch itself; error rate and cost spikes from the hourly
 * rollups, at most once per `throttleMs` per project. Rollups keep the cost of those checks
 * independent of traffic: a few dozen rollup rows instead of every request of the last hour
 * (3.6 million at 1,000 requests/s) or of the last 8 days.
 */
import type { Logger } from 'pino';
import { env } from '../../config/env.js';
import { utc } from '../../db/queries/logSearch.js';
import type { PrismaClient } from '../../db/prisma.js';
import {
  costSpikeFinding,
  errorRateFinding,
  latencyFindings,
  riskStreak,
  thresholdsFor,
  type RuleThresholds,
} from '../../domain/incidents/incidentRules.js';
import { HOUR_MS, hourStart } from '../../domain/metrics/rollupDeltas.js';
import type { IncidentEvents } from './incidentEvents.js';
import { raiseIncident } from './incidentService.js';
import type { LlmRequestRow } from '../ingest/ingestWriter.js';
import type { KeyCache } from '../auth/keyCache.js';
import type { RollupMaintainer } from '../analytics/rollupService.js';

export interface DetectorDeps {
  prisma: PrismaClient;
  keyCache: KeyCache;
  events: IncidentEvents;
  logger?: Logger;
  /** minimum time between database-backed checks of one project */
  throttleMs?: number;
  /** the writer's rollups: applied (settled) before the rollup-backed checks read them */
  rollups?: Pick<RollupMaintainer, 'settled'>;
}

export class IncidentDetector {
  private lastHeavyCheck = new Map<string, number>();
  private throttleMs: number;

  constructor(private deps: DetectorDeps) {
    this.throttleMs = deps.throttleMs ?? env.INCIDENT_CHECK_INTERVAL_MS;
  }

  /** Post-commit handler: evaluates every project present in the batch. */
  async onBatch(rows: LlmRequestRow[]): Promise<void> {
    const byProject = new Map<string, LlmRequestRow[]>();
    for (const row of rows) {
      const list = byProject.get(row.projectId) ?? [];
      list.push(row);
      byProject.set(row.projectId, list);
    }
    await Promise.all(
      [...byProject].map(([projectId, projectRows]) =>
        this.evaluate(projectId, projectRows).catch((err: unknown) =>
          this.deps.logger?.error({ err, projectId }, 'incident rules failed'),
        ),
      ),
    );
  }

  private async evaluate(projectId: string, rows: LlmRequestRow[]): Promise<void> {
    const context = await this.deps.keyCache.projectContext(projectId);
    if (!context) return;
    const t = thresholdsFor(context.ruleThresholds);
    const { prisma, events } = this.deps;

    for (const f of latencyFindings(rows, t)) {
      await raiseIncident(prisma, events, {
        projectId,
        type: 'latency',
        severity: f.severity,
        endpoint: f.endpoint,
        count: f.count,
        title: `Latency above ${t.latencyMs} ms${f.endpoint ? ` on ${f.endpoint}` : ''}`,
        figures: { thresholdMs: t.latencyMs, maxLatencyMs: f.maxLatencyMs, slowRequests: f.count },
      });
    }

    // A streak is "the newest N requests are risky": only a batch whose newest row is risky can
    // end one (a concurrent batch with newer rows checks for itself), so most batches skip the query.
    const newest = rows.reduce((a, b) =>
      b.createdAt > a.createdAt || (b.createdAt.getTime() === a.createdAt.getTime() && b.id > a.id) ? b : a,
    );
    if (newest.riskScore > t.riskScore) await this.checkRiskStreak(projectId, t);

    const now = Date.now();
    if (now - (this.lastHeavyCheck.get(projectId) ?? 0) >= this.throttleMs) {
      this.lastHeavyCheck.set(projectId, now);
      await this.deps.rollups?.settled();
      await this.checkErrorRate(projectId, t);
      await this.checkCost(projectId, t);
    }
  }

  private async checkRiskStreak(projectId: string, t: RuleThresholds): Promise<void> {
    const latest = await this.deps.prisma.llmRequest.findMany({
      where: { projectId },
      orderBy: [{ createdAt: 'desc' }, { id: 'desc' }],
      take: Math.max(1, Math.round(t.riskConsecutive)),
      select: { riskScore: true },
    });
    const streak = riskStreak(
      latest.map((r) => r.riskScore),
      t,
    );
    if (!streak) return;
    await raiseIncident(this.deps.prisma, this.deps.events, {
      projectId,
      type: 'risk',
      severity: streak.severity,
      title: `Risk score above ${t.riskScore} on ${streak.scores.length} consecutive requests`,
      figures: { threshold: t.riskScore, consecutive: streak.scores.length, scores: streak.scores },
    });
  }

  /**
   * Errors over the last 60 minutes, from the current hour's rollups plus the share of the
   * previous hour that falls inside the window (its requests taken as spread evenly).
   */
  private async checkErrorRate(projectId: string, t: RuleThresholds): Promise<void> {
    const now = Date.now();
    const current = hourStart(new Date(now));
    const previous = new Date(current.getTime() - HOUR_MS);
    const hours = await this.deps.prisma.$queryRaw<{ hour: Date; total: bigint; errors: bigint }[]>`
      SELECT "hour", sum(requests) AS total, sum(errors) AS errors
      FROM metric_rollups
      WHERE "projectId" = ${projectId} AND "hour" >= ${utc(previous)}
      GROUP BY "hour"`;
    const weight = (h: Date) =>
      h.getTime() >= current.getTime() ? 1 : (HOUR_MS - (now - current.getTime())) / HOUR_MS;
    const sum = (pick: (r: (typeof hours)[number]) => bigint) =>
      Math.round(hours.reduce((acc, r) => acc + Number(pick(r)) * weight(r.hour), 0));
    const total = sum((r) => r.total);
    const errors = sum((r) => r.errors);
    const finding = errorRateFinding(total, errors, t);
    if (!finding) return;
    await raiseIncident(this.deps.prisma, this.deps.events, {
      projectId,
      type: 'error_rate',
      severity: finding.severity,
      title: `Error rate ${(finding.rate * 100).toFixed(1)}% over the last hour`,
      figures: { errorRate: finding.rate, errors, total, threshold: t.errorRate },
    });
  }

  private async checkCost(projectId: string, t: RuleThresholds): Promise<void> {
    // Day 0 is the last 24 hours, to the hour: a rollup hour counts in the day it starts in.
    const days = await this.deps.prisma.$queryRaw<{ day: number; cost: number | null }[]>`
      SELECT floor(extract(epoch FROM ((now() AT TIME ZONE 'UTC') - "hour")) / 86400)::int AS day,
             sum("costUsd")::float8 AS cost
      FROM metric_rollups
      WHERE "projectId" = ${projectId} AND "hour" > (now() AT TIME ZONE 'UTC') - interval '8 days'
      GROUP BY 1`;
    const cost = (d: number) => days.find((x) => x.day === d)?.cost ?? 0;
    const trailing = [1, 2, 3, 4, 5, 6, 7].map(cost);
    const finding = costSpikeFinding(cost(0), trailing, t);
    if (!finding) return;
    await raiseIncident(this.deps.prisma, this.deps.events, {
      projectId,
      type: 'cost_spike',
      severity: finding.severity,
      title: `Cost ${(finding.ratio * 100 - 100).toFixed(0)}% above the trailing daily average`,
      figures: { last24hCostUsd: cost(0), trailingDailyAverageUsd: finding.average, ratio: finding.ratio },
    });
  }
}

/** Runs the rules after every committed batch of `writer` (the wiring registers it once). */
export function registerIncidentDetection(
  writer: { onCommit(handler: (rows: LlmRequestRow[]) => Promise<void>): void },
  deps: DetectorDeps,
): void {
  const detector = new IncidentDetector(deps);
  writer.onCommit((rows) => detector.onBatch(rows));
}
