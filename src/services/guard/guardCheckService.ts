/**
 * POST /guard/check: a text (or chat messages, by role) scored exactly as `/llm/request` would score it (assessExchange,
 * the project's settings and active remediations), with nothing stored and no quota used.
 */
import type { InjectionGuard } from '../../domain/guard/injectionGuard.js';
import type { GuardCheckInput, GuardCheckResponse } from '../../validators/guardValidators.js';
import type { ProjectContext } from '../auth/keyCache.js';
import { enforceRemediations, type UserLimiterFor } from '../incidents/remediationEnforcer.js';
import { reportedText } from '../ingest/assessment.js';
import { assessExchangeAsync } from '../ingest/largeAssessment.js';

export async function checkGuard(args: {
  project: ProjectContext;
  guard: InjectionGuard;
  limiterFor: UserLimiterFor;
  input: GuardCheckInput;
}): Promise<GuardCheckResponse> {
  const { project, guard, input } = args;
  const model = input.model ?? project.defaultModel ?? 'unknown';
  // No endpoint and no end user: the remediations that refuse or count calls do not apply, so
  // this reads the policy without side effects.
  const policy = await enforceRemediations(project, { model, endpoint: null, userId: null }, args.limiterFor);
  const { risk, flags, decision } = await assessExchangeAsync(
    project,
    policy,
    { ...reportedText(input), response: input.response ?? null, model },
    guard,
  );
  return {
    projectId: project.projectId,
    riskScore: risk.score,
    riskLevel: risk.level,
    riskFlags: flags,
    modelProbability: Math.round((risk.modelProbability ?? 0) * 10_000) / 10_000,
    modelThreshold: guard.threshold,
    decision,
    safetyThreshold: policy.safetyThreshold,
    guardMode: project.guardMode,
    effectiveModel: policy.effectiveModel,
  };
}
