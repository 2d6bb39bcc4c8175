/**
 * POST /llm/request and /llm/check as stories: admission (config arm, remediations, quota),
 * assessment (risk, PII, decision), recording (cost, durable write), answer. A 201 is only sent
 * once the row is committed.
 */
import { remediationRefusals } from '../../observability/metrics.js';
import type { AppError } from '../../utils/AppError.js';
import type {
  IngestResponse,
  LlmCheckInput,
  LlmCheckResponse,
  LlmRequestInput,
} from '../../validators/ingestValidators.js';
import type { ProjectContext, VerifiedKey } from '../auth/keyCache.js';
import type { Enforcement } from '../incidents/remediationEnforcer.js';
import { type Admission, admitCall, contextForCall, type IngestDeps } from './admission.js';
import { promptAsSent, reportedText } from './assessment.js';
import { assessExchangeAsync } from './largeAssessment.js';
import type { QuotaCounter } from './quotaCounters.js';
import { type CallRecord, recordCall, type RefusalReason, refusalReasonOf } from './recording.js';

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
  const project = contextForCall(auth.project, userId, () => promptAsSent(reported));
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
  const project = contextForCall(auth.project, input.userId ?? null, () => promptAsSent(reported));
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
