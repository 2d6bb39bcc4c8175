/**
 * Usage analytics: per project (endpoints and days from rollups; end users and risk levels from
 * raw rows, which only reach back as far as the plan's retention) and across all projects for
 * admins (from rollups).
 */
import { HIGH_RISK_SCORE, type RollupSums } from '../../domain/metrics/rollupDeltas.js';
import type { MetricsRange } from '../../validators/metricsValidators.js';
import { utc } from './logSearch.js';
import type { SqlClient } from './rollupQueries.js';

export interface EndpointUsage extends Pick<
  RollupSums,
  'requests' | 'errors' | 'promptTokens' | 'completionTokens' | 'costUsd' | 'latencySumMs'
> {
  endpoint: string;
}

/** Endpoints by traffic, from rollups ('' is "no endpoint"). */
export function topEndpoints(db: SqlClient, projectId: string, range: MetricsRange, limit: number) {
  return db.$queryRaw<EndpointUsage[]>`
    SELECT endpoint, sum(requests)::float8 AS requests, sum(errors)::float8 AS errors,
      sum("promptTokens")::float8 AS "promptTokens", sum("completionTokens")::float8 AS "completionTokens",
      sum("costUsd")::float8 AS "costUsd", sum("latencySumMs")::float8 AS "latencySumMs"
    FROM metric_rollups
    WHERE "projectId" = ${projectId} AND "hour" >= ${utc(range.from)} AND "hour" < ${utc(range.to)}
    GROUP BY endpoint ORDER BY requests DESC, endpoint LIMIT ${limit}`;
}

/** Requests, errors and cost per UTC day, from rollups. */
export function dailyTotals(db: SqlClient, projectId: string, range: MetricsRange) {
  return db.$queryRaw<{ ts: Date; requests: number; errors: number; costUsd: number; totalTokens: number }[]>`
    SELECT date_trunc('day', "hour") AS ts, sum(requests)::float8 AS requests, sum(errors)::float8 AS errors,
      sum("costUsd")::float8 AS "costUsd", sum("promptTokens" + "completionTokens")::float8 AS "totalTokens"
    FROM metric_rollups
    WHERE "projectId" = ${projectId} AND "hour" >= ${utc(range.from)} AND "hour" < ${utc(range.to)}
    GROUP BY 1 ORDER BY 1`;
}

export interface EndUserUsage {
  userId: string;
  requests: number;
  errors: number;
  totalTokens: number;
  costUsd: number;
  highRiskCount: number;
  lastSeenAt: Date;
  /** distinct end users in the range (same on every row) */
  endUsers: number;
}

/** End users by traffic, from raw rows (rollups are not kept per end user). */
export function topEndUsers(db: SqlClient, projectId: string, range: MetricsRange, limit: number) {
  return db.$queryRaw<EndUserUsage[]>`
    SELECT "endUserId" AS "userId", count(*)::float8 AS requests,
      count(*) FILTER (WHERE status = 'error')::float8 AS errors,
      sum(coalesce("promptTokens", 0) + coalesce("completionTokens", 0))::float8 AS "totalTokens",
      coalesce(sum("costUsd"), 0)::float8 AS "costUsd",
      count(*) FILTER (WHERE "riskScore" >= ${HIGH_RISK_SCORE})::float8 AS "highRiskCount",
      max("createdAt") AS "lastSeenAt", (count(*) OVER ())::float8 AS "endUsers"
    FROM llm_requests
    WHERE "projectId" = ${projectId} AND "createdAt" >= ${utc(range.from)} AND "createdAt" < ${utc(range.to)}
      AND "endUserId" IS NOT NULL
    GROUP BY "endUserId" ORDER BY requests DESC, "endUserId" LIMIT ${limit}`;
}

/** Requests per risk level, from raw rows. */
export function riskLevelCounts(db: SqlClient, projectId: string, range: MetricsRange) {
  return db.$queryRaw<{ level: string; requests: number }[]>`
    SELECT "riskLevel"::text AS level, count(*)::float8 AS requests FROM llm_requests
    WHERE "projectId" = ${projectId} AND "createdAt" >= ${utc(range.from)} AND "createdAt" < ${utc(range.to)}
    GROUP BY 1`;
}

export interface UsageTotals {
  requests: number;
  errors: number;
  totalTokens: number;
  costUsd: number;
  projects: number;
  owners: number;
}

/** Totals over every project, from rollups. */
export async function allProjectsTotals(db: SqlClient, range: MetricsRange): Promise<UsageTotals> {
  const [row] = await db.$queryRaw<UsageTotals[]>`
    SELECT coalesce(sum(r.requests), 0)::float8 AS requests, coalesce(sum(r.errors), 0)::float8 AS errors,
      coalesce(sum(r."promptTokens" + r."completionTokens"), 0)::float8 AS "totalTokens",
      coalesce(sum(r."costUsd"), 0)::float8 AS "costUsd",
      count(DISTINCT r."projectId")::float8 AS projects, count(DISTINCT p."ownerId")::float8 AS owners
    FROM metric_rollups r JOIN projects p ON p.id = r."projectId"
    WHERE r."hour" >= ${utc(range.from)} AND r."hour" < ${utc(range.to)}`;
  return row ?? { requests: 0, errors: 0, totalTokens: 0, costUsd: 0, projects: 0, owners: 0 };
}

export interface ProjectUsage {
  projectId: string;
  name: string;
  ownerId: string;
  ownerEmail: string;
  deleted: boolean;
  requests: number;
  errors: number;
  totalTokens: number;
  costUsd: number;
}

/** Projects by traffic, from rollups. */
export function topProjects(db: SqlClient, range: MetricsRange, limit: number) {
  return db.$queryRaw<ProjectUsage[]>`
    SELECT t."projectId", p.name, p."ownerId", u.email AS "ownerEmail", p."deletedAt" IS NOT NULL AS deleted,
      t.requests, t.errors, t."totalTokens", t."costUsd"
    FROM (
      SELECT "projectId", sum(requests)::float8 AS requests, sum(errors)::float8 AS errors,
        sum("promptTokens" + "completionTokens")::float8 AS "totalTokens", sum("costUsd")::float8 AS "costUsd"
      FROM metric_rollups WHERE "hour" >= ${utc(range.from)} AND "hour" < ${utc(range.to)}
      GROUP BY "projectId" ORDER BY requests DESC, "projectId" LIMIT ${limit}
    ) t
    JOIN projects p ON p.id = t."projectId" JOIN users u ON u.id = p."ownerId"
    ORDER BY t.requests DESC, t."projectId"`;
}

export interface OwnerUsage {
  ownerId: string;
  email: string;
  plan: string;
  projects: number;
  requests: number;
  errors: number;
  totalTokens: number;
  costUsd: number;
}

/** Owners (summed over their projects) by traffic, from rollups. */
export function topOwners(db: SqlClient, range: MetricsRange, limit: number) {
  return db.$queryRaw<OwnerUsage[]>`
    SELECT t."ownerId", u.email, coalesce(s.plan::text, 'free') AS plan, t.projects, t.requests, t.errors,
      t."totalTokens", t."costUsd"
    FROM (
      SELECT p."ownerId", count(DISTINCT r."projectId")::float8 AS projects, sum(r.requests)::float8 AS requests,
        sum(r.errors)::float8 AS errors, sum(r."promptTokens" + r."completionTokens")::float8 AS "totalTokens",
        sum(r."costUsd")::float8 AS "costUsd"
      FROM metric_rollups r JOIN projects p ON p.id = r."projectId"
      WHERE r."hour" >= ${utc(range.from)} AND r."hour" < ${utc(range.to)}
      GROUP BY p."ownerId" ORDER BY requests DESC, p."ownerId" LIMIT ${limit}
    ) t
    JOIN users u ON u.id = t."ownerId" LEFT JOIN subscriptions s ON s."userId" = t."ownerId"
    ORDER BY t.requests DESC, t."ownerId"`;
}
