/**
 * Incidents: one open incident per (project, type, endpoint) — a repeat bumps its count,
 * last-seen time and (if worse) severity instead of opening a duplicate. Reading, resolving.
 */
import type { PrismaClient } from '../../db/prisma.js';
import type { Incident, IncidentType, Prisma } from '../../generated/prisma/client.js';
import { incidentsOpened } from '../../observability/metrics.js';
import { AppError } from '../../utils/AppError.js';
import { SEVERITY_RANK, type Severity } from '../../domain/incidents/incidentRules.js';
import type { AccessClaims } from '../../utils/jwt.js';
import type { IncidentListQuery } from '../../validators/incidentValidators.js';
import { pageArgs, pageOf } from '../../validators/common.js';
import { recordAudit, type AuditContext } from '../ops/auditService.js';
import type { IncidentEvents } from './incidentEvents.js';
import { accessibleProjectIds, getAccessibleProject } from '../projects/projectService.js';
import { noteIncidentViewed } from '../onboarding/onboardingService.js';
import { relatedRequests } from './incidentContext.js';
import type { IncidentRef } from '../../types/incidents.js';

export interface IncidentSignal {
  projectId: string;
  type: IncidentType;
  severity: Severity;
  title: string;
  description?: string;
  endpoint?: string;
  /** how many occurrences this signal stands for */
  count?: number;
  figures: Record<string, unknown>;
  externalId?: string;
}

export interface UpsertOutcome {
  incident: Incident;
  created: boolean;
  escalated: boolean;
}

type Db = Pick<PrismaClient, '$queryRaw'>;

/** Opens an incident or folds the signal into the open one of the same (project, type, endpoint). */
export async function upsertIncident(db: Db, s: IncidentSignal, openKeyOverride?: string): Promise<UpsertOutcome> {
  const endpoint = s.endpoint ?? '';
  const openKey = openKeyOverride ?? `${s.type}:${endpoint}`;
  const figures = JSON.stringify(s.figures);
  const rows = await db.$queryRaw<(Incident & { inserted: boolean; previousSeverity: Severity | null })[]>`
    WITH previous AS (
      SELECT severity FROM incidents WHERE "projectId" = ${s.projectId} AND "openKey" = ${openKey}
    )
    INSERT INTO incidents (id, "projectId", type, severity, status, title, description, endpoint, "openKey",
                           "externalId", count, "firstSeenAt", "lastSeenAt", figures, "createdAt", "updatedAt")
    VALUES (gen_random_uuid()::text, ${s.projectId}, ${s.type}::"IncidentType", ${s.severity}::"Severity", 'open',
            ${s.title}, ${s.description ?? null}, ${endpoint}, ${openKey}, ${s.externalId ?? null}, ${s.count ?? 1},
            now() AT TIME ZONE 'UTC', now() AT TIME ZONE 'UTC', ${figures}::jsonb, now() AT TIME ZONE 'UTC', now() AT TIME ZONE 'UTC')
    ON CONFLICT ("projectId", "openKey") DO UPDATE SET
      count = incidents.count + EXCLUDED.count,
      "lastSeenAt" = EXCLUDED."lastSeenAt",
      "updatedAt" = EXCLUDED."updatedAt",
      figures = EXCLUDED.figures,
      severity = CASE WHEN array_position(ARRAY['low','medium','high','critical']::"Severity"[], EXCLUDED.severity)
                         > array_position(ARRAY['low','medium','high','critical']::"Severity"[], incidents.severity)
                      THEN EXCLUDED.severity ELSE incidents.severity END
    RETURNING incidents.*, (xmax = 0) AS inserted, (SELECT severity FROM previous)::text AS "previousSeverity"`;
  const row = rows[0]!;
  const { inserted, previousSeverity, ...incident } = row;
  if (inserted) incidentsOpened.inc({ type: s.type });
  const escalated =
    !inserted && previousSeverity !== null && SEVERITY_RANK[incident.severity] > SEVERITY_RANK[previousSeverity];
  return { incident: incident as Incident, created: inserted, escalated };
}

/** Upserts and announces what changed (opened / escalated) to the RCA and alert reactions. */
export async function raiseIncident(
  db: Db,
  events: IncidentEvents,
  signal: IncidentSignal,
  openKey?: string,
): Promise<UpsertOutcome> {
  const outcome = await upsertIncident(db, signal, openKey);
  const ref = { incidentId: outcome.incident.id, projectId: signal.projectId };
  if (outcome.created) events.emit({ kind: 'opened', ...ref });
  else if (outcome.escalated) events.emit({ kind: 'escalated', ...ref });
  return outcome;
}

/** Marks an open incident resolved (frees its open key so the next occurrence opens a new one). */
export async function closeIncident(
  db: Pick<PrismaClient, 'incident'>,
  events: IncidentEvents,
  incidentId: IncidentRef | string,
  by: { userId?: string | null; note?: string | null },
): Promise<Incident> {
  const ref =
    typeof incidentId === 'string' ? { id: incidentId } : { id: incidentId.id, projectId: incidentId.projectId };
  const { count } = await db.incident.updateMany({
    where: { ...ref, status: 'open' },
    data: {
      status: 'resolved',
      openKey: null,
      resolvedAt: new Date(),
      resolvedById: by.userId ?? null,
      resolutionNote: by.note ?? null,
    },
  });
  const incident = await db.incident.findFirstOrThrow({ where: ref });
  if (count > 0) events.emit({ kind: 'resolved', incidentId: incident.id, projectId: incident.projectId });
  return incident;
}

/** The incident if the caller may see its project; 404 otherwise. */
export async function getAccessibleIncident(prisma: PrismaClient, id: string, caller: AccessClaims): Promise<Incident> {
  const incident = await prisma.incident.findFirst({
    where: { id, projectId: await accessibleProjectIds(prisma, caller) },
  });
  if (!incident) throw AppError.notFound('Incident');
  await getAccessibleProject(prisma, incident.projectId, caller).catch(() => {
    throw AppError.notFound('Incident');
  });
  return incident;
}

export async function listIncidents(prisma: PrismaClient, caller: AccessClaims, q: IncidentListQuery) {
  await getAccessibleProject(prisma, q.projectId, caller);
  const where: Prisma.IncidentWhereInput = {
    projectId: q.projectId,
    ...(q.status ? { status: q.status } : {}),
    ...(q.severity ? { severity: q.severity } : {}),
    ...(q.type ? { type: q.type } : {}),
    ...(q.from || q.to ? { lastSeenAt: { ...(q.from ? { gte: q.from } : {}), ...(q.to ? { lte: q.to } : {}) } } : {}),
  };
  const [data, total] = await Promise.all([
    prisma.incident.findMany({ where, orderBy: { lastSeenAt: 'desc' }, ...pageArgs(q) }),
    prisma.incident.count({ where }),
  ]);
  return pageOf(data, q, total);
}

export async function resolveIncident(
  { prisma, events }: { prisma: PrismaClient; events: IncidentEvents },
  { caller, id, note, audit: ctx }: { caller: AccessClaims; id: string; note?: string; audit: AuditContext },
): Promise<Incident> {
  const incident = await getAccessibleIncident(prisma, id, caller);
  if (incident.status === 'resolved') throw new AppError('CONFLICT', 'Incident is already resolved');
  const resolved = await closeIncident(
    prisma,
    events,
    { id: incident.id, projectId: incident.projectId },
    {
      userId: caller.sub,
      note,
    },
  );
  await recordAudit(prisma, ctx, {
    action: 'incident.resolve',
    targetType: 'incident',
    targetId: id,
    metadata: { note: note ?? null },
  });
  return resolved;
}

/** GET /incidents/:id: the incident with its recent related calls and its remediations; viewing it is an onboarding step. */
export async function incidentDetail(
  prisma: PrismaClient,
  { caller, id, audit }: { caller: AccessClaims; id: string; audit: AuditContext },
) {
  const incident = await getAccessibleIncident(prisma, id, caller);
  const [requests, remediations] = await Promise.all([
    relatedRequests(prisma, incident, 20),
    prisma.remediationAction.findMany({
      where: { incidentId: incident.id, projectId: incident.projectId },
      orderBy: { createdAt: 'desc' },
    }),
  ]);
  await noteIncidentViewed(prisma, { incidentId: incident.id, audit });
  return { ...incident, relatedRequests: requests, remediations };
}
