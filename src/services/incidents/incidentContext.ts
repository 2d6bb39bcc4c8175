/**
 * The requests behind an incident: what the RCA is written from and what the incident detail
 * shows. Read with the (projectId, createdAt) indexes, so it stays cheap on large projects.
 */
import type { PrismaClient } from '../../db/prisma.js';
import type { Incident, LlmRequest, Prisma } from '../../generated/prisma/client.js';
import { DEFAULT_THRESHOLDS } from '../../domain/incidents/incidentRules.js';
import { messagesFromPrompt } from '../ingest/messagesInPrompt.js';

/** Requests from this long before the first occurrence count as related (the build-up). */
const LOOKBACK_MS = 60 * 60 * 1000;
/** ...and this long after the last one (rows committed while the incident was being written). */
const LOOKAHEAD_MS = 60 * 1000;

export type IncidentScope = Pick<
  Incident,
  'projectId' | 'type' | 'endpoint' | 'firstSeenAt' | 'lastSeenAt' | 'figures'
>;

/** The filter: the project, the incident's window, its endpoint if any, and what its type is about. */
export function relatedRequestsWhere(incident: IncidentScope): Prisma.LlmRequestWhereInput {
  const where: Prisma.LlmRequestWhereInput = {
    projectId: incident.projectId,
    createdAt: {
      gte: new Date(incident.firstSeenAt.getTime() - LOOKBACK_MS),
      lte: new Date(incident.lastSeenAt.getTime() + LOOKAHEAD_MS),
    },
  };
  if (incident.endpoint !== '') where.endpoint = incident.endpoint;
  const figures = (incident.figures ?? {}) as Record<string, unknown>;
  switch (incident.type) {
    case 'latency':
      if (typeof figures.thresholdMs === 'number') where.latencyMs = { gt: figures.thresholdMs };
      break;
    case 'error_rate':
      where.status = 'error';
      break;
    case 'risk':
      where.riskScore = {
        gt: typeof figures.threshold === 'number' ? figures.threshold : DEFAULT_THRESHOLDS.riskScore,
      };
      break;
    case 'negative_feedback': {
      // The rated calls themselves, however long before the feedback they were made.
      const ids = Array.isArray(figures.requestIds) ? figures.requestIds.filter((v) => typeof v === 'string') : [];
      if (ids.length) {
        delete where.createdAt;
        where.id = { in: ids as string[] };
      } else if (typeof figures.model === 'string') where.effectiveModel = figures.model;
      break;
    }
    default:
      break;
  }
  return where;
}

/**
 * The last `limit` requests related to the incident, newest first: in the project, from one hour
 * before its first occurrence to a minute after its last, on its endpoint when it has one, and
 * narrowed by type (latency: slower than `figures.thresholdMs` when known; error_rate: failed;
 * risk: risk score above `figures.threshold`, default 80; negative_feedback: the rated calls in
 * `figures.requestIds`; others: any).
 */
export async function relatedRequests(
  prisma: PrismaClient | Prisma.TransactionClient,
  incident: IncidentScope,
  limit = 20,
): Promise<LlmRequest[]> {
  const rows = await prisma.llmRequest.findMany({
    where: relatedRequestsWhere(incident),
    orderBy: [{ createdAt: 'desc' }, { id: 'desc' }],
    take: limit,
  });
  return rows.map(withMessages);
}

/** A row with a large chat call's messages given their text back (stored as places in its prompt). */
const withMessages = (row: LlmRequest): LlmRequest =>
  row.messages === null
    ? row
    : { ...row, messages: messagesFromPrompt(row.messages, row.prompt) as LlmRequest['messages'] };

/** Requests within the threshold a latency RCA compares the slow ones with. */
const COMPARISON_LIMIT = 10;

/**
 * What the RCA is written from: the related requests and, for a latency incident, the newest
 * requests of the same scope that stayed within the threshold. A faster model is then one the
 * project actually ran in that window (the slow requests alone cannot show one).
 */
export async function rcaSample(
  prisma: PrismaClient | Prisma.TransactionClient,
  incident: IncidentScope,
): Promise<LlmRequest[]> {
  const related = await relatedRequests(prisma, incident);
  const figures = (incident.figures ?? {}) as Record<string, unknown>;
  if (incident.type !== 'latency' || typeof figures.thresholdMs !== 'number') return related;
  const comparison = await prisma.llmRequest.findMany({
    where: { ...relatedRequestsWhere(incident), latencyMs: { lte: figures.thresholdMs } },
    orderBy: [{ createdAt: 'desc' }, { id: 'desc' }],
    take: COMPARISON_LIMIT,
  });
  return [...related, ...comparison.map(withMessages)];
}
