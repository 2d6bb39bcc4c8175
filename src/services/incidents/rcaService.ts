/**
 * Root cause analysis of an incident: gather its related requests, ask OpenAI for a structured
 * answer (bounded timeout and retries), and fall back to the deterministic analysis when there
 * is no client or anything goes wrong. The result is stored on the incident either way.
 * Logs carry the outcome and the failure kind, never customer text or the model's answer.
 */
import { APIConnectionError, APIConnectionTimeoutError, APIError, APIUserAbortError, type OpenAI } from 'openai';
import type { Logger } from 'pino';
import { env } from '../../config/env.js';
import type { PrismaClient } from '../../db/prisma.js';
import type { Incident, Prisma } from '../../generated/prisma/client.js';
import { defaultOpenAIClient } from '../../integrations/openaiClient.js';
import { AppError } from '../../utils/AppError.js';
import { logger as defaultLogger } from '../../utils/logger.js';
import { fallbackRca } from '../../domain/incidents/rcaFallback.js';
import {
  buildRcaMessages,
  parseRcaAnswer,
  RcaParseError,
  type RcaAnswer,
  type RcaIncident,
  type RcaRequest,
} from '../../domain/incidents/rcaPrompt.js';
import { rcaSample } from './incidentContext.js';
import type { IncidentRef } from '../../types/incidents.js';

export interface RcaDeps {
  /** undefined: the process client from the environment (none without OPENAI_API_KEY); null: fallback only. */
  openai?: OpenAI | null;
  /** Defaults to OPENAI_RCA_MODEL. */
  model?: string;
  logger?: Logger;
  /** Per-attempt timeout and retries of this call; the client's own (from the environment) when unset. */
  timeoutMs?: number;
  maxRetries?: number;
  now?: () => Date;
}

/** What `incident.rca` holds. */
export interface StoredRca extends RcaAnswer {
  source: 'openai' | 'fallback';
  /** the model that wrote it (source "openai" only) */
  model?: string;
  generatedAt: string;
}

/** Caps the answer's cost; the prompt asks for two short paragraphs. */
const MAX_COMPLETION_TOKENS = 2_000;

async function askOpenAI(
  openai: OpenAI,
  model: string,
  incident: RcaIncident,
  requests: RcaRequest[],
  deps: RcaDeps,
): Promise<RcaAnswer> {
  const options: { timeout?: number; maxRetries?: number } = {};
  // The SDK rejects an explicit undefined: only override what was given.
  if (deps.timeoutMs !== undefined) options.timeout = deps.timeoutMs;
  if (deps.maxRetries !== undefined) options.maxRetries = deps.maxRetries;
  const completion = await openai.chat.completions.create(
    {
      model,
      messages: buildRcaMessages(incident, requests),
      response_format: { type: 'json_object' },
      max_completion_tokens: MAX_COMPLETION_TOKENS,
    },
    options,
  );
  return parseRcaAnswer(completion.choices[0]?.message?.content);
}

/** A short, text-free reason for logs (error messages can quote the prompt or the answer). */
function failureKind(err: unknown): string {
  if (err instanceof RcaParseError) return `answer_${err.reason}`;
  if (err instanceof APIConnectionTimeoutError) return 'timeout';
  if (err instanceof APIUserAbortError) return 'aborted';
  if (err instanceof APIConnectionError) return 'connection_error';
  if (err instanceof APIError) return `http_${err.status ?? 'unknown'}`;
  return 'error';
}

/**
 * Writes and stores the RCA of one incident; returns the updated incident. Throws NOT_FOUND for
 * an unknown id; OpenAI failures never throw (the fallback is stored instead). Callers check
 * that the caller may see the incident.
 */
export async function generateRca(
  prisma: PrismaClient,
  incidentId: IncidentRef | string,
  deps: RcaDeps = {},
): Promise<Incident> {
  const logger = deps.logger ?? defaultLogger;
  const ref =
    typeof incidentId === 'string' ? { id: incidentId } : { id: incidentId.id, projectId: incidentId.projectId };
  const incident = await prisma.incident.findFirst({ where: ref });
  if (!incident) throw AppError.notFound('Incident');
  const requests = await rcaSample(prisma, incident);
  const openai = deps.openai === undefined ? defaultOpenAIClient() : deps.openai;
  const model = deps.model ?? env.OPENAI_RCA_MODEL;
  const started = Date.now();

  let answer: RcaAnswer | undefined;
  let failure: string | undefined;
  if (openai) {
    try {
      answer = await askOpenAI(openai, model, incident, requests, deps);
    } catch (err) {
      failure = failureKind(err);
    }
  }
  const source = answer ? 'openai' : 'fallback';
  const now = deps.now?.() ?? new Date();
  const rca: StoredRca = {
    ...(answer ?? fallbackRca(incident, requests)),
    source,
    ...(answer ? { model } : {}),
    generatedAt: now.toISOString(),
  };
  const updated = await prisma.incident.update({
    where: { id: incident.id, projectId: incident.projectId },
    data: { rca: rca as unknown as Prisma.InputJsonValue, rcaGeneratedAt: now },
  });
  const fields = {
    incidentId: incident.id,
    projectId: incident.projectId,
    type: incident.type,
    source,
    model: openai ? model : undefined,
    failure,
    samples: requests.length,
    durationMs: Date.now() - started,
  };
  if (failure) logger.warn(fields, 'incident rca: OpenAI failed, fallback stored');
  else logger.info(fields, 'incident rca stored');
  return updated;
}

/** `POST /incidents/:id/rca`: writes the RCA again from the current data (same as generateRca). */
export function regenerateRca(
  prisma: PrismaClient,
  incidentId: IncidentRef | string,
  deps: RcaDeps = {},
): Promise<Incident> {
  return generateRca(prisma, incidentId, deps);
}
