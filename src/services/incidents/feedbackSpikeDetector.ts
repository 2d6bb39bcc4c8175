/**
 * The negative-feedback rule, run after each negative feedback item is stored: per model, the
 * feedback of the last hour (a handful of grouped rows from the (projectId, createdAt) index).
 * A spike opens one incident per (project, model); later negative feedback folds into it, and
 * the incident takes the usual path (RCA on open, alerts, remediations, resolve).
 */
import type { Logger } from 'pino';
import type { PrismaClient } from '../../db/prisma.js';
import { negativeFeedbackFinding, thresholdsFor } from '../../domain/incidents/incidentRules.js';
import type { IncidentEvents } from './incidentEvents.js';
import { raiseIncident, type UpsertOutcome } from './incidentService.js';

export const FEEDBACK_WINDOW_MS = 60 * 60 * 1000;
/** How many of the rated calls the incident keeps for its RCA and detail. */
const SAMPLE_REQUESTS = 20;

export interface FeedbackSpikeDeps {
  prisma: PrismaClient;
  events: IncidentEvents;
  logger?: Logger;
}

/** Checks `model` of `projectId`; returns the incident outcome when the rule fired. */
export async function checkNegativeFeedback(
  deps: FeedbackSpikeDeps,
  input: { projectId: string; model: string; ruleThresholds: unknown; now?: Date },
): Promise<UpsertOutcome | null> {
  const { prisma, events } = deps;
  const t = thresholdsFor(input.ruleThresholds);
  const since = new Date((input.now ?? new Date()).getTime() - FEEDBACK_WINDOW_MS);
  const groups = await prisma.llmFeedback.groupBy({
    by: ['model', 'negative'],
    where: { projectId: input.projectId, createdAt: { gte: since } },
    _count: { _all: true },
  });
  const counts = new Map<string, { model: string; total: number; negative: number }>();
  for (const g of groups) {
    const c = counts.get(g.model) ?? { model: g.model, total: 0, negative: 0 };
    c.total += g._count._all;
    if (g.negative) c.negative += g._count._all;
    counts.set(g.model, c);
  }
  const finding = negativeFeedbackFinding([...counts.values()], input.model, t);
  if (!finding) return null;
  const rated = await prisma.llmFeedback.findMany({
    where: { projectId: input.projectId, model: input.model, negative: true, createdAt: { gte: since } },
    orderBy: { createdAt: 'desc' },
    take: SAMPLE_REQUESTS,
    select: { requestId: true },
  });
  return raiseIncident(
    prisma,
    events,
    {
      projectId: input.projectId,
      type: 'negative_feedback',
      severity: finding.severity,
      title: `Negative feedback on ${input.model}: ${finding.negative} of ${finding.total} in the last hour`,
      figures: {
        model: input.model,
        negative: finding.negative,
        total: finding.total,
        negativeShare: Math.round(finding.share * 10_000) / 10_000,
        threshold: t.negativeFeedbackShare,
        minSample: t.negativeFeedbackMinSample,
        windowMinutes: FEEDBACK_WINDOW_MS / 60_000,
        alternativeModel: finding.alternativeModel,
        requestIds: [...new Set(rated.map((r) => r.requestId))],
      },
    },
    // One open incident per model (incidents have no model column; the endpoint stays empty).
    `negative_feedback:${input.model}`,
  );
}
