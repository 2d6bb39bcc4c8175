/**
 * POST /llm/request as a story: quota, remediations (the incident loop closing), risk,
 * PII handling, cost, durable write, response. A 201 is only sent once the row is committed.
 */
import type { PriceOverrides } from '../../domain/pricing.js';
import { estimateCostUsd } from '../../domain/pricing.js';
import { type Decision, decide, hasPiiFinding } from '../../domain/risk/decision.js';
import { redactScanSteps, scanPiiSteps } from '../../domain/risk/pii.js';
import type { InjectionGuard } from '../../domain/guard/injectionGuard.js';
import { assessRiskSteps, type RiskResult, type ScannedText } from '../../domain/risk/riskScoring.js';
import { assessChatRiskSteps } from '../../domain/risk/chatRisk.js';
import { runSliced, runSync, type Steps } from '../../domain/slices.js';
import { storedMessages, transcriptOf, type StoredMessage } from '../../domain/chat/messages.js';
import { uuidv7 } from '../../utils/ids.js';
import type {
  IngestResponse,
  LlmCheckInput,
  LlmCheckResponse,
  LlmRequestInput,
} from '../../validators/ingestValidators.js';
import type { IngestWriter, QuotaCounter } from './ingestWriter.js';
import type { ProjectContext, VerifiedKey } from '../auth/keyCache.js';
import { enforceRemediations, type Enforcement, type UserLimiterFor } from '../incidents/remediationEnforcer.js';
import { pickArm } from '../../domain/config/modelConfig.js';

/**
 * The context a call is answered with: the project's, or while an A/B split runs the arm the
 * end user is assigned to (sticky by `userId`, else by the prompt: the same request, the same arm).
 */
export function contextForCall(project: ProjectContext, userId: string | null, prompt: string): ProjectContext {
  if (!project.split || project.split.arms.length === 0) return project;
  return pickArm(project.split.arms, userId === null ? `request:${prompt}` : `user:${userId}`, project.split.salt)
    .context;
}
import type { Logger } from 'pino';
import { remediationRefusals } from '../../observability/metrics.js';
import { AppError } from '../../utils/AppError.js';

/**
 * Enforced by billing: the plan counter a request is written under (the writer refuses it with
 * 429 QUOTA_EXCEEDED past the limit); throws that refusal at once for a counter known full.
 */
export interface QuotaGate {
  counter(project: ProjectContext): Promise<QuotaCounter>;
}

export interface IngestDeps {
  writer: IngestWriter;
  quota: QuotaGate;
  limiterFor: UserLimiterFor;
  /** the learned injection classifier (null: rules only) */
  guard: InjectionGuard | null;
  logger?: Logger;
}

/** What the pre-call checks let through: the policy to apply and the quota the row is written under. */
export interface Admission {
  policy: Enforcement;
  quota: QuotaCounter;
}

/**
 * The checks before a call, shared by /llm/request and the gateway: remediations (403
 * ENDPOINT_DISABLED, 429 USER_RATE_LIMITED thrown), then the plan quota (429 QUOTA_EXCEEDED
 * thrown for a counter known full). A call they refuse does not count against the quota.
 */
export async function admitCall(
  deps: IngestDeps,
  project: ProjectContext,
  call: { model: string; endpoint: string | null; userId: string | null },
): Promise<Admission> {
  const policy = await enforceRemediations(project, call, deps.limiterFor);
  const quota = await deps.quota.counter(project);
  return { policy, quota };
}

/**
 * Redacts `raw` with the scan scoring made of it, so a text is scanned once. Scoring scans the
 * normalised text (NFKC, invisible characters removed): when that differs from the text as
 * sent, the offsets do not apply and the text as sent is scanned on its own.
 */
function* redactScanned(raw: string, scored: ScannedText | null): Steps<string> {
  const scan = scored && scored.text === raw ? scored.scan : yield* scanPiiSteps(raw);
  return (yield* redactScanSteps(raw, scan)).text;
}

/**
 * Characters (prompt or messages, response and system prompt together) above which an exchange
 * is scored in slices (domain/slices.ts), letting other requests through between them: a
 * megabyte costs up to a few hundred ms to score, which no other request should wait for.
 * Below it scoring takes well under a millisecond and runs straight through.
 */
export const SLICED_ASSESSMENT_CHARS = 64 * 1024;

/**
 * The risk of an exchange and the PII scans it was computed from: chat messages one by one with
 * their roles (domain/risk/chatRisk), a prompt as one text.
 */
function* scoreExchange(
  exchange: {
    prompt: string;
    response: string | null;
    model: string;
    messages: StoredMessage[] | null;
    systemPrompt: string | null;
  },
  guard: InjectionGuard | null,
): Steps<{
  risk: RiskResult;
  pii: { prompt: ScannedText | null; messages: ScannedText[]; response: ScannedText | null };
}> {
  if (exchange.messages) {
    const { risk, pii } = yield* assessChatRiskSteps({ ...exchange, messages: exchange.messages }, guard);
    return { risk, pii: { prompt: null, messages: pii.messages, response: pii.response } };
  }
  const { risk, pii } = yield* assessRiskSteps(exchange, guard);
  return { risk, pii: { prompt: pii.prompt, messages: [], response: pii.response } };
}

export interface Assessment {
  risk: RiskResult;
  flags: string[];
  /** prompt, messages and response as stored (PII redacted under piiMode "redact" and "block") */
  prompt: string;
  response: string | null;
  /** the chat messages with their roles, for a call reported with messages (else null) */
  messages: StoredMessage[] | null;
  piiFound: boolean;
  piiRedacted: boolean;
  decision: Decision;
}

/**
 * Risk score, PII handling and the decision for one exchange (the response may be unknown yet):
 * the one function `/llm/request`, the gateway and `/guard/check` score with. `guard` is the
 * learned injection classifier (null: rules only). In `monitor` guard mode the decision is never
 * `block` (at most `flag`, PII blocking included, and no `pii:blocked` flag); score, flags and
 * redaction are the same as under `enforce`.
 */
export function assessExchange(
  project: ProjectContext,
  policy: Enforcement,
  exchange: { prompt: string; response: string | null; model: string; messages?: StoredMessage[] | null },
  guard: InjectionGuard | null = null,
): Assessment {
  return runSync(assessExchangeSteps(project, policy, exchange, guard));
}

type Exchange = { prompt: string; response: string | null; model: string; messages?: StoredMessage[] | null };

/**
 * `assessExchange` for the request paths: the same assessment, computed in slices that let the
 * event loop through when the texts exceed SLICED_ASSESSMENT_CHARS, else straight through.
 */
export function assessExchangeAsync(
  project: ProjectContext,
  policy: Enforcement,
  exchange: Exchange,
  guard: InjectionGuard | null = null,
): Promise<Assessment> {
  const steps = assessExchangeSteps(project, policy, exchange, guard);
  let size = exchange.prompt.length + (exchange.response?.length ?? 0) + (policy.systemPrompt?.length ?? 0);
  for (const m of exchange.messages ?? []) size += m.content.length;
  return size > SLICED_ASSESSMENT_CHARS ? runSliced(steps) : Promise.resolve(runSync(steps));
}

export function* assessExchangeSteps(
  project: ProjectContext,
  policy: Enforcement,
  exchange: Exchange,
  guard: InjectionGuard | null,
): Steps<Assessment> {
  const chat = exchange.messages ?? null;
  const { risk, pii } = yield* scoreExchange({ ...exchange, messages: chat, systemPrompt: policy.systemPrompt }, guard);
  const flags = [...risk.flags, ...policy.flags];

  let prompt = exchange.prompt;
  let response = exchange.response;
  let messages = chat;
  const piiFound = hasPiiFinding(flags);
  // Under `redact` and under `block` alike, PII and secrets are never at rest: the stored text
  // is the redacted one (a blocked call is stored too, so its PII must not be).
  const piiRedacted = project.piiMode !== 'off' && piiFound;
  if (piiRedacted) {
    if (messages) {
      const redacted: StoredMessage[] = [];
      for (const [i, m] of messages.entries()) {
        redacted.push({ ...m, content: yield* redactScanned(m.content, pii.messages[i] ?? null) });
      }
      messages = redacted;
      prompt = transcriptOf(messages);
    } else {
      prompt = yield* redactScanned(prompt, pii.prompt);
    }
    response = response === null ? null : yield* redactScanned(response, pii.response);
  }
  const monitor = project.guardMode === 'monitor';
  if (piiRedacted && project.piiMode === 'block' && !monitor) flags.push('pii:blocked');
  let decision = decide({ score: risk.score, threshold: policy.safetyThreshold, flags, piiMode: project.piiMode });
  if (monitor && decision === 'block') decision = 'flag';
  return { risk, flags, prompt, response, messages, piiFound, piiRedacted, decision };
}

/**
 * The prompt and messages of a reported call: a `prompt` as sent, or `messages` stored with their
 * roles and flattened to a transcript for the `prompt` column (search and older clients read it).
 */
export function reportedText(input: Pick<LlmRequestInput | LlmCheckInput, 'prompt' | 'messages'>): {
  prompt: string;
  messages: StoredMessage[] | null;
} {
  if (!input.messages) return { prompt: input.prompt ?? '', messages: null };
  const messages = storedMessages(input.messages);
  return { prompt: transcriptOf(messages), messages };
}

/** One call's facts, as the app reported them or the gateway observed them. */
export interface CallRecord {
  /** the row id (default: a new uuidv7); the gateway names it in a header before the write */
  id?: string;
  model: string;
  endpoint: string | null;
  userId: string | null;
  latencyMs: number;
  promptTokens: number | null;
  completionTokens: number | null;
  status: 'success' | 'error';
  error: string | null;
  metadata: unknown;
  /** the model the cost is computed for (default: `model`) */
  pricedModel?: string;
  /** the model that actually served the call (default: the policy's effective model) */
  servedModel?: string;
  /** set for a call a remediation refused: stored with outcome `refused`, outside the plan quota */
  refusalReason?: RefusalReason;
  /** how long the row may wait for a batch (default: the writer's); longer when nobody waits for the commit */
  commitWaitMs?: number;
}

/**
 * Writes the row through the durable writer (resolves once committed, or rejects with 503 or
 * the quota refusal) and returns its id and cost.
 */
export async function recordCall(
  deps: Pick<IngestDeps, 'writer'>,
  auth: { key: VerifiedKey; project: ProjectContext },
  admission: Admission,
  assessment: Assessment,
  call: CallRecord,
): Promise<{ id: string; costUsd: number | null }> {
  const { project } = auth;
  const { policy, quota } = admission;
  const createdAt = new Date();
  const overrides = (project.modelSettings as { priceOverrides?: PriceOverrides | null }).priceOverrides ?? undefined;
  const { promptTokens, completionTokens } = call;
  const costUsd = estimateCostUsd({
    model: call.pricedModel ?? call.model,
    promptTokens,
    completionTokens,
    at: createdAt,
    overrides,
  });
  const id = call.id ?? uuidv7(createdAt.getTime());

  await deps.writer.write(
    {
      id,
      projectId: project.projectId,
      apiKeyId: auth.key.apiKeyId,
      model: call.model,
      effectiveModel: call.servedModel ?? policy.effectiveModel,
      endpoint: call.endpoint,
      endUserId: call.userId,
      prompt: assessment.prompt,
      response: assessment.response,
      systemPrompt: policy.systemPrompt,
      latencyMs: call.latencyMs,
      promptTokens,
      completionTokens,
      totalTokens:
        promptTokens === null && completionTokens === null ? null : (promptTokens ?? 0) + (completionTokens ?? 0),
      status: call.status,
      error: call.error,
      metadata: call.metadata,
      riskScore: assessment.risk.score,
      riskLevel: assessment.risk.level,
      riskFlags: assessment.flags,
      decision: assessment.decision,
      costUsd,
      piiRedacted: assessment.piiRedacted,
      configVersion: project.configVersion,
      createdAt,
      messages: assessment.messages,
      outcome: call.refusalReason ? 'refused' : 'accepted',
      refusalReason: call.refusalReason ?? null,
    },
    call.refusalReason ? undefined : quota,
    { maxWaitMs: call.commitWaitMs },
  );
  return { id, costUsd };
}

/** Why a remediation refused a call, as stored in `refusalReason` and counted in /metrics. */
export const REFUSAL_REASONS = {
  ENDPOINT_DISABLED: 'endpoint_disabled',
  USER_RATE_LIMITED: 'user_rate_limited',
} as const;
export type RefusalReason = (typeof REFUSAL_REASONS)[keyof typeof REFUSAL_REASONS];

function refusalReasonOf(err: unknown): RefusalReason | null {
  if (!(err instanceof AppError)) return null;
  return err.code === 'ENDPOINT_DISABLED' || err.code === 'USER_RATE_LIMITED' ? REFUSAL_REASONS[err.code] : null;
}

/**
 * Ingests one reported call. A call a remediation refuses (403 ENDPOINT_DISABLED, 429
 * USER_RATE_LIMITED) already ran (the SDK reports after the model answered), so it is stored too,
 * with `outcome: refused` and its reason, outside the plan quota, and then the refusal is thrown.
 */
export async function ingestLlmRequest(
  deps: IngestDeps,
  auth: { key: VerifiedKey; project: ProjectContext },
  input: LlmRequestInput,
): Promise<IngestResponse> {
  const endpoint = input.endpoint ?? null;
  const userId = input.userId ?? null;
  const reported = reportedText(input);
  const project = contextForCall(auth.project, userId, reported.prompt);
  let admission: Admission;
  try {
    admission = await admitCall(deps, project, { model: input.model, endpoint, userId });
  } catch (err) {
    const reason = refusalReasonOf(err);
    if (reason === null) throw err;
    await recordRefused(deps, { ...auth, project }, input, reason, err as AppError);
    throw err;
  }
  const { policy } = admission;
  const assessment = await assessExchangeAsync(
    project,
    policy,
    { ...reported, response: input.response ?? null, model: input.model },
    deps.guard,
  );
  const { id, costUsd } = await recordCall(deps, { ...auth, project }, admission, assessment, callOf(input));

  return {
    id,
    riskScore: assessment.risk.score,
    riskLevel: assessment.risk.level,
    riskFlags: assessment.flags,
    decision: assessment.decision,
    effectiveModel: policy.effectiveModel,
    systemPrompt: policy.systemPrompt,
    costUsd,
    remediations: policy.applied,
    redactedPrompt: assessment.piiRedacted ? assessment.prompt : null,
    ...(assessment.messages ? { redactedMessages: assessment.piiRedacted ? assessment.messages : null } : {}),
    configVersion: project.configVersion,
  };
}

/**
 * POST /llm/check: the pre-call checks and the guard's decision on a prompt or chat messages
 * (scored by role, as /llm/request scores them), without a model call and without a row (the
 * SDK's guardCheck). Refusals throw as for /llm/request; a rate_limit_user remediation counts the
 * check as a call of that end user.
 */
export async function checkLlmCall(
  deps: IngestDeps,
  auth: { key: VerifiedKey; project: ProjectContext },
  input: LlmCheckInput,
): Promise<LlmCheckResponse> {
  const reported = reportedText(input);
  // The pre-flight answers as the call will be answered: with the end user's arm while a split runs.
  const project = contextForCall(auth.project, input.userId ?? null, reported.prompt);
  const { policy } = await admitCall(deps, project, {
    model: input.model,
    endpoint: input.endpoint ?? null,
    userId: input.userId ?? null,
  });
  const assessment = await assessExchangeAsync(
    project,
    policy,
    { ...reported, response: null, model: input.model },
    deps.guard,
  );
  const redact = project.piiMode === 'redact';
  return {
    decision: assessment.decision,
    riskScore: assessment.risk.score,
    riskLevel: assessment.risk.level,
    riskFlags: assessment.flags,
    effectiveModel: policy.effectiveModel,
    systemPrompt: policy.systemPrompt,
    remediations: policy.applied,
    ...(reported.messages
      ? { messages: redact ? (assessment.messages ?? reported.messages) : reported.messages }
      : { prompt: redact ? assessment.prompt : reported.prompt }),
  };
}

function callOf(input: LlmRequestInput): CallRecord {
  return {
    model: input.model,
    endpoint: input.endpoint ?? null,
    userId: input.userId ?? null,
    latencyMs: input.latencyMs,
    promptTokens: input.promptTokens ?? null,
    completionTokens: input.completionTokens ?? null,
    status: input.status,
    error: input.error ?? null,
    metadata: input.metadata ?? null,
  };
}

/** Stores a refused call (outside the quota); a failure to store it never hides the refusal. */
async function recordRefused(
  deps: IngestDeps,
  auth: { key: VerifiedKey; project: ProjectContext },
  input: LlmRequestInput,
  reason: RefusalReason,
  refusal: AppError,
): Promise<void> {
  const { project } = auth;
  const remediationId = (refusal.details as { remediationId?: string } | undefined)?.remediationId;
  const policy: Enforcement = {
    effectiveModel: input.model,
    systemPrompt: project.systemPrompt,
    safetyThreshold: project.safetyThreshold,
    applied: remediationId
      ? [{ id: remediationId, action: reason === 'endpoint_disabled' ? 'disable_endpoint' : 'rate_limit_user' }]
      : [],
    flags: [],
  };
  remediationRefusals.inc({ reason });
  const assessment = await assessExchangeAsync(
    project,
    policy,
    { ...reportedText(input), response: input.response ?? null, model: input.model },
    deps.guard,
  );
  try {
    // The quota counter is never taken for a refused call (recordCall skips it).
    const admission = { policy, quota: undefined as unknown as QuotaCounter };
    await recordCall(deps, auth, admission, assessment, { ...callOf(input), refusalReason: reason });
  } catch (err) {
    deps.logger?.warn({ err, reason }, 'refused call could not be recorded');
  }
}
