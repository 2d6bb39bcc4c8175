/**
 * What the `decision` of an ingested call means, in one place (pure, no I/O):
 *
 * - `block`: the call must not be served as sent. Its risk score reached the effective safety
 *   threshold, or it carries PII or a secret in a project whose `piiMode` is `block`.
 * - `flag`: the call may be served, but something in it needs a human look: a finding
 *   (prompt injection, harmful content, PII or a secret in the prompt or the response, a system
 *   prompt leak), a score of "medium" risk or more, or a model the project does not allow
 *   (the caller got the fallback model instead of the one it asked for).
 * - `allow`: nothing found and nothing changed against the caller's request.
 *
 * Flags that only explain a score (`model:adjusted`) or record the project's own policy
 * (`pii:blocked`) are not findings by themselves. Remediations that shape the call
 * (switch_model, change_system_prompt, a raised threshold) do not change the decision: they are
 * policy the project asked for, reported in `remediations`.
 */
import { RISK_LEVEL_THRESHOLDS } from './riskScoring.js';
import type { Decision } from '../../types/vocabulary.js';

export type { Decision } from '../../types/vocabulary.js';

/** Flags that are findings: any of them alone makes the decision at least `flag`. */
const FINDING_PREFIXES = ['injection:', 'content:', 'pii:', 'secret:', 'response:'] as const;
const FINDING_FLAGS = new Set(['model:not_allowed']);
/** Flags that never count as findings (explanations and policy markers). */
const NOT_FINDINGS = new Set(['pii:blocked', 'model:adjusted']);

/** Whether a flag is a finding that calls for at least `flag`. */
export function isFinding(flag: string): boolean {
  if (NOT_FINDINGS.has(flag)) return false;
  return FINDING_FLAGS.has(flag) || FINDING_PREFIXES.some((p) => flag.startsWith(p));
}

/** Whether any flag names PII or a secret, in the prompt or in the response. */
export function hasPiiFinding(flags: readonly string[]): boolean {
  return flags.some(
    (f) =>
      f !== 'pii:blocked' &&
      (f.startsWith('pii:') ||
        f.startsWith('secret:') ||
        f.startsWith('response:pii:') ||
        f.startsWith('response:secret:')),
  );
}

export interface DecisionInput {
  score: number;
  /** the effective safety threshold (project setting or a remediation's raised one) */
  threshold: number;
  flags: readonly string[];
  piiMode: 'off' | 'redact' | 'block';
}

/** The decision for one call (see the module comment for what each value means). */
export function decide({ score, threshold, flags, piiMode }: DecisionInput): Decision {
  if (score >= threshold) return 'block';
  if (piiMode === 'block' && hasPiiFinding(flags)) return 'block';
  if (score >= RISK_LEVEL_THRESHOLDS.medium || flags.some(isFinding)) return 'flag';
  return 'allow';
}
