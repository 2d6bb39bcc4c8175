/**
 * An OpenFeature provider backed by our `feature_flags` table (through FlagStore's cache) and
 * the rules of domain/flags/flagRules.ts. The evaluation context's `targetingKey` is the user id
 * and `projectId` the project. Boolean evaluation answers whether the flag is on; string
 * evaluation the variant's name; object evaluation the variant's value.
 */
import {
  ErrorCode,
  StandardResolutionReasons,
  type EvaluationContext,
  type JsonValue,
  type Provider,
  type ResolutionDetails,
  type ResolutionReason,
} from '@openfeature/server-sdk';
import { evaluateFlag, type FlagDecision, type FlagReason, type FlagSubject } from '../../domain/flags/flagRules.js';
import type { FlagStore } from './flagStore.js';

export const PROVIDER_NAME = 'llmguard-feature-flags';

/** Our reasons in OpenFeature's vocabulary (the exact one is in flagMetadata.rule). */
const REASONS: Record<FlagReason, ResolutionReason> = {
  ARCHIVED: StandardResolutionReasons.DISABLED,
  DISABLED: StandardResolutionReasons.DISABLED,
  DENIED: StandardResolutionReasons.TARGETING_MATCH,
  ALLOWED: StandardResolutionReasons.TARGETING_MATCH,
  ROLLOUT: StandardResolutionReasons.SPLIT,
  OUT_OF_ROLLOUT: StandardResolutionReasons.SPLIT,
};

export function subjectOf(context: EvaluationContext): FlagSubject {
  const projectId = context.projectId;
  return {
    userId: context.targetingKey ?? null,
    projectId: typeof projectId === 'string' ? projectId : null,
  };
}

export function contextOf(subject: FlagSubject): EvaluationContext {
  return {
    ...(subject.userId ? { targetingKey: subject.userId } : {}),
    ...(subject.projectId ? { projectId: subject.projectId } : {}),
  };
}

const notFound = <T>(flagKey: string, defaultValue: T): ResolutionDetails<T> => ({
  value: defaultValue,
  reason: StandardResolutionReasons.ERROR,
  errorCode: ErrorCode.FLAG_NOT_FOUND,
  errorMessage: `no feature flag ${flagKey}`,
});

export class DatabaseFlagProvider implements Provider {
  readonly metadata = { name: PROVIDER_NAME } as const;
  readonly runsOn = 'server' as const;

  constructor(private store: FlagStore) {}

  private async decide(flagKey: string, context: EvaluationContext): Promise<FlagDecision | null> {
    const flag = await this.store.get(flagKey);
    return flag ? evaluateFlag(flag, subjectOf(context)) : null;
  }

  private details<T>(decision: FlagDecision, value: T): ResolutionDetails<T> {
    return {
      value,
      ...(decision.variant !== null ? { variant: decision.variant } : {}),
      reason: REASONS[decision.reason],
      flagMetadata: { rule: decision.reason },
    };
  }

  async resolveBooleanEvaluation(flagKey: string, defaultValue: boolean, context: EvaluationContext) {
    const decision = await this.decide(flagKey, context);
    return decision ? this.details(decision, decision.enabled) : notFound(flagKey, defaultValue);
  }

  /** The variant's name; the default when the flag is off or has no variants. */
  async resolveStringEvaluation(flagKey: string, defaultValue: string, context: EvaluationContext) {
    const decision = await this.decide(flagKey, context);
    if (!decision) return notFound(flagKey, defaultValue);
    return this.details(decision, decision.variant ?? defaultValue);
  }

  async resolveNumberEvaluation(flagKey: string, defaultValue: number): Promise<ResolutionDetails<number>> {
    return {
      value: defaultValue,
      reason: StandardResolutionReasons.ERROR,
      errorCode: ErrorCode.TYPE_MISMATCH,
      errorMessage: `feature flag ${flagKey} is boolean (variants: string or object)`,
    };
  }

  /** The variant's value; the default when the flag is off or its variant carries none. */
  async resolveObjectEvaluation<T extends JsonValue>(flagKey: string, defaultValue: T, context: EvaluationContext) {
    const decision = await this.decide(flagKey, context);
    if (!decision) return notFound(flagKey, defaultValue);
    return this.details(decision, decision.value === undefined ? defaultValue : (decision.value as T));
  }
}
