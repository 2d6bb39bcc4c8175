/**
 * POST /llm/request as a story: quota, remediations (the incident loop closing), risk,
 * PII handling, cost, durable write, response. A 201 is only sent once the row is committed.
 */
import type { PriceOverrides } from '../../domain/pricing.js';
import { estimateCostUsd } from '../../domain/pricing.js';
import { decide, hasPiiFinding } from '../../domain/risk/decision.js';
import { redactPii } from '../../domain/risk/pii.js';
import { scoreRisk } from '../../domain/risk/riskScoring.js';
import { uuidv7 } from '../../utils/ids.js';
import type { IngestResponse, LlmRequestInput } from '../../validators/ingestValidators.js';
import type { IngestWriter, QuotaCounter } from './ingestWriter.js';
import type { ProjectContext, VerifiedKey } from '../auth/keyCache.js';
import { enforceRemediations, type UserLimiterFor } from '../incidents/remediationEnforcer.js';

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
}

export async function ingestLlmRequest(
  deps: IngestDeps,
  auth: { key: VerifiedKey; project: ProjectContext },
  input: LlmRequestInput,
): Promise<IngestResponse> {
  const { project } = auth;
  const endpoint = input.endpoint ?? null;
  const userId = input.userId ?? null;
  // Remediations first: a call they refuse (403/429) does not count against the plan quota.
  const policy = await enforceRemediations(project, { model: input.model, endpoint, userId }, deps.limiterFor);
  const quota = await deps.quota.counter(project);

  const risk = scoreRisk({
    prompt: input.prompt,
    response: input.response ?? null,
    model: input.model,
    systemPrompt: policy.systemPrompt,
  });
  const flags = [...risk.flags, ...policy.flags];

  let prompt = input.prompt;
  let response = input.response ?? null;
  // Under `redact` and under `block` alike, PII and secrets are never at rest: the stored text
  // is the redacted one (a blocked call is stored too, so its PII must not be).
  const piiRedacted = project.piiMode !== 'off' && hasPiiFinding(flags);
  if (piiRedacted) {
    prompt = redactPii(prompt).text;
    response = response === null ? null : redactPii(response).text;
  }
  if (piiRedacted && project.piiMode === 'block') flags.push('pii:blocked');
  const decision = decide({ score: risk.score, threshold: policy.safetyThreshold, flags, piiMode: project.piiMode });

  const createdAt = new Date();
  const overrides = (project.modelSettings as { priceOverrides?: PriceOverrides | null }).priceOverrides ?? undefined;
  const costUsd = estimateCostUsd({
    model: input.model,
    promptTokens: input.promptTokens ?? null,
    completionTokens: input.completionTokens ?? null,
    at: createdAt,
    overrides,
  });
  const promptTokens = input.promptTokens ?? null;
  const completionTokens = input.completionTokens ?? null;
  const id = uuidv7(createdAt.getTime());

  await deps.writer.write(
    {
      id,
      projectId: project.projectId,
      apiKeyId: auth.key.apiKeyId,
      model: input.model,
      effectiveModel: policy.effectiveModel,
      endpoint,
      endUserId: userId,
      prompt,
      response,
      systemPrompt: policy.systemPrompt,
      latencyMs: input.latencyMs,
      promptTokens,
      completionTokens,
      totalTokens:
        promptTokens === null && completionTokens === null ? null : (promptTokens ?? 0) + (completionTokens ?? 0),
      status: input.status,
      error: input.error ?? null,
      metadata: input.metadata ?? null,
      riskScore: risk.score,
      riskLevel: risk.level,
      riskFlags: flags,
      decision,
      costUsd,
      piiRedacted,
      createdAt,
    },
    quota,
  );

  return {
    id,
    riskScore: risk.score,
    riskLevel: risk.level,
    riskFlags: flags,
    decision,
    effectiveModel: policy.effectiveModel,
    systemPrompt: policy.systemPrompt,
    costUsd,
    remediations: policy.applied,
    redactedPrompt: piiRedacted ? prompt : null,
  };
}
