/**
 * Feedback of apps on their logged LLM calls (POST /llm/feedback): checked against the key's
 * project, scored for sentiment, stored, and fed to the negative-feedback incident rule.
 */
import type { Logger } from 'pino';
import type { PrismaClient } from '../../db/prisma.js';
import { isNegative } from '../../domain/feedback/feedbackScore.js';
import { analyzeSentiment } from '../../domain/feedback/sentiment.js';
import type { LlmFeedback } from '../../generated/prisma/client.js';
import { AppError } from '../../utils/AppError.js';
import { uuidv7Time } from '../../utils/ids.js';
import { setTimeout as sleep } from 'node:timers/promises';
import type { LlmFeedbackBody } from '../../validators/feedbackValidators.js';
import type { ProjectContext, VerifiedKey } from '../auth/keyCache.js';
import type { MetricsCache } from '../analytics/metricsCache.js';
import { checkNegativeFeedback } from '../incidents/feedbackSpikeDetector.js';
import type { IncidentEvents } from '../incidents/incidentEvents.js';

export interface LlmFeedbackDeps {
  prisma: PrismaClient;
  events: IncidentEvents;
  metricsCache?: MetricsCache;
  logger?: Logger;
  /** this process's ingest writer: a row on its way in here is waited for without polling */
  writer?: { whenSettled(id: string): Promise<void> | undefined };
}

/** How recent a call must be (by its UUIDv7 id) for feedback on it to wait for its row. */
const RECENT_CALL_MS = 10_000;
const ROW_WAIT_MS = 2_000;
/** First pause between two looks for a row another process is writing; doubled up to ROW_POLL_MAX_MS. */
const ROW_POLL_MS = 20;
const ROW_POLL_MAX_MS = 400;

/** The API shape of a stored feedback item. */
export function feedbackView(f: LlmFeedback) {
  return {
    id: f.id,
    requestId: f.requestId,
    model: f.model,
    configVersion: f.configVersion,
    score: f.score,
    scale: f.scale,
    negative: f.negative,
    comment: f.comment,
    sentiment:
      f.sentimentLabel === null
        ? null
        : { label: f.sentimentLabel, score: f.sentimentScore ?? 0, language: f.sentimentLanguage },
    createdAt: f.createdAt,
  };
}

/**
 * Stores feedback on one call of the key's project (404 for an unknown call or one of another
 * project) and runs the negative-feedback rule when it is negative.
 */
export async function recordLlmFeedback(
  deps: LlmFeedbackDeps,
  auth: { key: VerifiedKey; project: ProjectContext },
  body: LlmFeedbackBody,
) {
  const { prisma } = deps;
  const find = () =>
    prisma.llmRequest.findFirst({
      where: { id: body.requestId, projectId: auth.key.projectId },
      select: { projectId: true, effectiveModel: true, configVersion: true },
    });
  let call = await find();
  // The gateway answers before its row is committed (a few milliseconds later): feedback sent at
  // once on the id of a call made in the last seconds waits for the row instead of a 404. A row
  // on its way in through this process is awaited; one another replica is writing is looked for
  // again with growing pauses (about ten looks in ROW_WAIT_MS, not one every few milliseconds).
  const local = call ? undefined : deps.writer?.whenSettled(body.requestId);
  if (local) {
    await local;
    call = await find();
  }
  const madeAt = uuidv7Time(body.requestId);
  const waitUntil = Date.now() + ROW_WAIT_MS;
  let pause = ROW_POLL_MS;
  while (!call && madeAt !== null && Date.now() - madeAt < RECENT_CALL_MS && Date.now() < waitUntil) {
    await sleep(Math.min(pause, Math.max(0, waitUntil - Date.now())));
    pause = Math.min(pause * 2, ROW_POLL_MAX_MS);
    call = await find();
  }
  if (!call || call.projectId !== auth.key.projectId) throw AppError.notFound('Request');
  const sentiment = body.comment ? analyzeSentiment(body.comment, body.language) : null;
  const negative = isNegative(body.scale, body.score);
  const stored = await prisma.llmFeedback.create({
    data: {
      projectId: call.projectId,
      requestId: body.requestId,
      model: call.effectiveModel,
      configVersion: call.configVersion,
      apiKeyId: auth.key.apiKeyId,
      scale: body.scale,
      score: body.score,
      negative,
      comment: body.comment || null,
      sentimentLabel: sentiment?.label ?? null,
      sentimentScore: sentiment?.score ?? null,
      sentimentLanguage: sentiment?.language ?? null,
    },
  });
  deps.metricsCache?.invalidate([call.projectId]);
  if (negative) {
    // The feedback is stored either way: a failing rule check is logged, not answered with a 500.
    await checkNegativeFeedback(deps, {
      projectId: call.projectId,
      model: call.effectiveModel,
      ruleThresholds: auth.project.ruleThresholds,
    }).catch((err: unknown) => deps.logger?.error({ err, projectId: call.projectId }, 'negative feedback rule failed'));
  }
  return { feedback: feedbackView(stored) };
}

/** Feedback on one call, oldest first (for GET /logs/:id). */
export async function feedbackOnRequest(prisma: PrismaClient, projectId: string, requestId: string) {
  const rows = await prisma.llmFeedback.findMany({
    where: { projectId, requestId },
    orderBy: { createdAt: 'asc' },
    take: 100,
  });
  return rows.map(feedbackView);
}
