/**
 * How a feature flag decides for one subject (a user, in a project), with no I/O:
 * archived or disabled -> off; a deny list (users, then projects) -> off; an allow list -> on;
 * otherwise on for `rolloutPercent` % of users, sticky by a stable hash of (flag key, user id).
 * A subject who gets the flag gets one of its variants, also sticky by hash (with another salt,
 * so which variant a user sees does not depend on how early they entered the rollout).
 */
import { bucket, pickArm } from '../config/modelConfig.js';

export interface FlagVariant {
  name: string;
  weight: number;
  value?: unknown;
}

/** The fields of a `feature_flags` row that evaluation reads. */
export interface FlagRule {
  key: string;
  enabled: boolean;
  rolloutPercent: number;
  allowUsers: readonly string[];
  denyUsers: readonly string[];
  allowProjects: readonly string[];
  denyProjects: readonly string[];
  variants: readonly FlagVariant[];
  archivedAt: Date | null;
}

export interface FlagSubject {
  userId?: string | null;
  projectId?: string | null;
}

/** Why a flag decided as it did (OpenFeature reasons: DISABLED, TARGETING_MATCH, SPLIT, DEFAULT). */
export type FlagReason = 'ARCHIVED' | 'DISABLED' | 'DENIED' | 'ALLOWED' | 'ROLLOUT' | 'OUT_OF_ROLLOUT';

export interface FlagDecision {
  enabled: boolean;
  /** the variant's name; null when the flag is off or has no variants */
  variant: string | null;
  /** the variant's value, if it has one */
  value?: unknown;
  reason: FlagReason;
}

const listed = (list: readonly string[], id: string | null | undefined) => !!id && list.includes(id);

/**
 * Whether `subject` is in the percentage rollout: a user by (key, user id); without a user, the
 * project stands in; with neither, only a 100 % rollout lets it in.
 */
export function inRollout(flag: Pick<FlagRule, 'key' | 'rolloutPercent'>, subject: FlagSubject): boolean {
  if (flag.rolloutPercent >= 100) return true;
  if (flag.rolloutPercent <= 0) return false;
  const id = subject.userId ? `user:${subject.userId}` : subject.projectId ? `project:${subject.projectId}` : null;
  if (!id) return false;
  return bucket(`${flag.key}:${id}`) * 100 < flag.rolloutPercent;
}

/** The variant a subject who gets the flag sees (null for a plain on/off flag). */
export function pickVariant(flag: Pick<FlagRule, 'key' | 'variants'>, subject: FlagSubject): FlagVariant | null {
  const variants = flag.variants.filter((v) => v.weight > 0);
  if (variants.length === 0) return null;
  const id = subject.userId ?? subject.projectId ?? '';
  return pickArm(variants, id, `${flag.key}:variant`);
}

/** The decision for one subject; see the module comment for the order of the rules. */
export function evaluateFlag(flag: FlagRule, subject: FlagSubject): FlagDecision {
  if (flag.archivedAt) return { enabled: false, variant: null, reason: 'ARCHIVED' };
  if (!flag.enabled) return { enabled: false, variant: null, reason: 'DISABLED' };
  if (listed(flag.denyUsers, subject.userId) || listed(flag.denyProjects, subject.projectId)) {
    return { enabled: false, variant: null, reason: 'DENIED' };
  }
  let reason: FlagReason;
  if (listed(flag.allowUsers, subject.userId) || listed(flag.allowProjects, subject.projectId)) reason = 'ALLOWED';
  else if (inRollout(flag, subject)) reason = 'ROLLOUT';
  else return { enabled: false, variant: null, reason: 'OUT_OF_ROLLOUT' };
  const variant = pickVariant(flag, subject);
  return variant
    ? { enabled: true, variant: variant.name, ...(variant.value !== undefined ? { value: variant.value } : {}), reason }
    : { enabled: true, variant: null, reason };
}
