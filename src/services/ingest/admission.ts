/**
 * The checks before a call, shared by /llm/request, /llm/check and the gateway: which config
 * (the project's, or the end user's A/B arm) answers it, the remediations that refuse or reshape
 * it, and the plan quota its row is written under.
 */
import type { Logger } from 'pino';
import { pickArm } from '../../domain/config/modelConfig.js';
import type { InjectionGuard } from '../../domain/guard/injectionGuard.js';
import type { ProjectContext } from '../auth/keyCache.js';
import { enforceRemediations, type Enforcement, type UserLimiterFor } from '../incidents/remediationEnforcer.js';
import type { IngestWriter } from './ingestWriter.js';
import type { QuotaCounter } from './quotaCounters.js';

/**
 * The context a call is answered with: the project's, or while an A/B split runs the arm the
 * end user is assigned to (sticky by `userId`, else by the prompt: the same request, the same arm).
 */
export function contextForCall(project: ProjectContext, userId: string | null, prompt: () => string): ProjectContext {
  if (!project.split || project.split.arms.length === 0) return project;
  return pickArm(project.split.arms, userId === null ? `request:${prompt()}` : `user:${userId}`, project.split.salt)
    .context;
}

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
