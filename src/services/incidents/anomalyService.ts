/**
 * The hourly anomaly job: per project, hourly volume, error rate, p95 latency, cost and mean
 * risk over a trailing baseline (from the rollups), and an `anomaly` incident for every metric
 * of the last complete hour beyond 3 sigma (with a minimum history).
 */
import type { TxClient } from '../../db/prisma.js';
import {
  detectAnomalies,
  type AnomalyFinding,
  type AnomalyOptions,
  type HourlyPoint,
} from '../../domain/incidents/anomaly.js';
import {
  HISTOGRAM_BUCKET_COUNT,
  emptyHistogram,
  mergeHistograms,
  percentileFromHistogram,
} from '../../domain/metrics/histogram.js';
import { maxSeverity, type Severity } from '../../domain/incidents/incidentRules.js';
import type { IncidentEvents } from './incidentEvents.js';
import { raiseIncident } from './incidentService.js';

const HOUR = 3_600_000;

interface RollupHour {
  projectId: string;
  hour: Date;
  requests: number;
  errors: number;
  costUsd: number;
  riskSum: number;
  latencyHist: number[];
}

export function severityFromZ(z: number): Severity {
  const a = Math.abs(z);
  if (a >= 10) return 'critical';
  if (a >= 6) return 'high';
  if (a >= 4) return 'medium';
  return 'low';
}

/** Sums the rollup rows of each hour into one point per hour, zero-filled over [from, to). */
export function hourlyPoints(rows: RollupHour[], from: Date, to: Date): HourlyPoint[] {
  const byHour = new Map<number, { requests: number; errors: number; cost: number; risk: number; hist: number[] }>();
  for (const r of rows) {
    const key = r.hour.getTime();
    const agg = byHour.get(key) ?? { requests: 0, errors: 0, cost: 0, risk: 0, hist: emptyHistogram() };
    agg.requests += r.requests;
    agg.errors += r.errors;
    agg.cost += r.costUsd;
    agg.risk += r.riskSum;
    if (r.latencyHist.length === HISTOGRAM_BUCKET_COUNT) agg.hist = mergeHistograms(agg.hist, r.latencyHist);
    byHour.set(key, agg);
  }
  const points: HourlyPoint[] = [];
  for (let t = from.getTime(); t < to.getTime(); t += HOUR) {
    const a = byHour.get(t);
    points.push({
      requests: a?.requests ?? 0,
      errorRate: a && a.requests > 0 ? a.errors / a.requests : 0,
      p95LatencyMs: a ? (percentileFromHistogram(a.hist, 0.95) ?? 0) : 0,
      costUsd: a?.cost ?? 0,
      meanRisk: a && a.requests > 0 ? a.risk / a.requests : 0,
    });
  }
  return points;
}

export interface AnomalyRunOptions extends AnomalyOptions {
  now?: Date;
  /** trailing baseline length in hours */
  baselineHours?: number;
}

/** Runs detection for every project with rollups in the window; returns what it found. */
export async function runAnomalyDetection(db: TxClient, events: IncidentEvents, options: AnomalyRunOptions = {}) {
  const now = options.now ?? new Date();
  const latestStart = new Date(Math.floor(now.getTime() / HOUR) * HOUR - HOUR);
  const baselineHours = options.baselineHours ?? 7 * 24;
  const from = new Date(latestStart.getTime() - baselineHours * HOUR);
  const rows = await db.$queryRaw<RollupHour[]>`
    SELECT "projectId", hour, requests, errors, "costUsd", "riskSum"::float8 AS "riskSum", "latencyHist"
    FROM metric_rollups
    WHERE hour >= ${from.toISOString()}::timestamptz AT TIME ZONE 'UTC'
      AND hour < ${new Date(latestStart.getTime() + HOUR).toISOString()}::timestamptz AT TIME ZONE 'UTC'`;
  const firstSeen = await db.$queryRaw<{ projectId: string; first: Date }[]>`
    SELECT "projectId", min(hour) AS first FROM metric_rollups GROUP BY "projectId"`;
  const byProject = new Map<string, RollupHour[]>();
  for (const r of rows) byProject.set(r.projectId, [...(byProject.get(r.projectId) ?? []), r]);

  const findings: { projectId: string; findings: AnomalyFinding[] }[] = [];
  for (const [projectId, projectRows] of byProject) {
    // Hours before the project's first traffic are not history: they would fake a flat baseline.
    const first = firstSeen.find((f) => f.projectId === projectId)?.first ?? from;
    const start = new Date(Math.max(from.getTime(), first.getTime()));
    const points = hourlyPoints(projectRows, start, new Date(latestStart.getTime() + HOUR));
    const latest = points.pop();
    if (!latest) continue;
    const found = detectAnomalies(points, latest, options);
    if (found.length === 0) continue;
    findings.push({ projectId, findings: found });
    const severity = found.map((f) => severityFromZ(f.zScore)).reduce(maxSeverity, 'low');
    await raiseIncident(db, events, {
      projectId,
      type: 'anomaly',
      severity,
      title: `Anomaly in ${found.map((f) => f.metric).join(', ')} (beyond 3 sigma)`,
      figures: { hour: latestStart.toISOString(), baselineHours: points.length, findings: found },
    });
  }
  return { projects: byProject.size, anomalies: findings.length, findings };
}
