/**
 * One call's row: its cost, its risk and decision, the config version that answered it, written
 * through the durable group-commit writer (refused calls outside the plan quota).
 */
import type { PriceOverrides } from '../../domain/pricing.js';
import { estimateCostUsd } from '../../domain/pricing.js';
import { AppError } from '../../utils/AppError.js';
import { uuidv7 } from '../../utils/ids.js';
import type { ProjectContext, VerifiedKey } from '../auth/keyCache.js';
import type { Admission, IngestDeps } from './admission.js';
import type { Assessment } from './assessment.js';

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
    // A caller that answers before the commit lets feedback on the call wait for it (whenSettled).
    { maxWaitMs: call.commitWaitMs, track: call.commitWaitMs !== undefined },
  );
  return { id, costUsd };
}

/** Why a remediation refused a call, as stored in `refusalReason` and counted in /metrics. */
export const REFUSAL_REASONS = {
  ENDPOINT_DISABLED: 'endpoint_disabled',
  USER_RATE_LIMITED: 'user_rate_limited',
} as const;
export type RefusalReason = (typeof REFUSAL_REASONS)[keyof typeof REFUSAL_REASONS];

export function refusalReasonOf(err: unknown): RefusalReason | null {
  if (!(err instanceof AppError)) return null;
  return err.code === 'ENDPOINT_DISABLED' || err.code === 'USER_RATE_LIMITED' ? REFUSAL_REASONS[err.code] : null;
}
