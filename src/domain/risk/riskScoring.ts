/**
 * Risk scoring of one LLM call: pure, synchronous, no I/O. Every signal is a flag with a weight
 * (0-100, read as "how sure are we that this alone is a problem"); weights combine as
 * independent evidence, score = 100 * (1 - prod(1 - w/100)), so two medium signals make a high
 * one but nothing passes 100 by accident. A prompt injection alone is enough to reach
 * DEFAULT_INJECTION_THRESHOLD.
 *
 * Injections are found two ways, and both name what they saw:
 * - the rules (riskPatterns) flag `injection:override`, `injection:jailbreak`, ... on the text,
 *   and again on its normalised form (domain/guard/normalize: confusables, leetspeak, spaced-out
 *   letters) when normalising changed it;
 * - the learned classifier (domain/guard) gives a calibrated probability p that the prompt is
 *   an injection (Platt-scaled on out-of-fold scores: of the cross-validation prompts scored
 *   about p, a share of about p were injections). At p >= the model's threshold (0.65, in the
 *   model file's header) it flags `injection:model` with weight min(90, 100 * p), combined with the
 *   other weights as independent evidence like every flag; below the threshold it adds nothing.
 *   Either kind of injection flag lifts the score to at least DEFAULT_INJECTION_THRESHOLD.
 *
 * The prompt's and the response's shares of the signals are computed in riskShares.ts; here they
 * are combined into the score (re-exported from here, as the scorers' one entry point).
 */
import type { InjectionGuard } from '../guard/injectionGuard.js';
import { runSync, type Steps } from '../slices.js';
import type { Budget } from './pii.js';
import {
  type PromptRisk,
  promptRiskSteps,
  type ResponseRisk,
  responseRiskSteps,
  type ScannedText,
} from './riskShares.js';
import type { RiskLevel } from '../../types/vocabulary.js';
import { DEFAULT_INJECTION_THRESHOLD, modelAdjustment, riskLevelFor } from './riskWeights.js';

export type { RiskLevel } from '../../types/vocabulary.js';
export {
  matchingFlags,
  normalize,
  piiFlag,
  type PromptPii,
  type PromptRisk,
  promptPiiSteps,
  type PromptRules,
  promptRiskOf,
  promptRiskSteps,
  promptRulesSteps,
  type ResponseRisk,
  responseRiskSteps,
  type ScannedText,
} from './riskShares.js';
export {
  DEFAULT_INJECTION_THRESHOLD,
  FLAG_WEIGHTS,
  MODEL_ADJUSTMENTS,
  MODEL_WEIGHT_CAP,
  type ModelAdjustment,
  RISK_LEVEL_THRESHOLDS,
  riskLevelFor,
} from './riskWeights.js';

export interface RiskInput {
  prompt: string;
  response?: string | null;
  model?: string;
  systemPrompt?: string | null;
}

export interface RiskResult {
  /** integer 0-100 */
  score: number;
  level: RiskLevel;
  flags: string[];
  /** the classifier's calibrated injection probability of the prompt (0-1); null without a model */
  modelProbability: number | null;
}

/**
 * A score with the PII scans it was computed from: redaction reuses them instead of scanning
 * the texts again (services/ingest/assessment.ts assessExchange).
 */
export interface RiskAssessment {
  risk: RiskResult;
  pii: { prompt: ScannedText; response: ScannedText | null };
  /** what the prompt alone contributed: pass it back to score the same prompt with a response */
  promptRisk: PromptRisk;
}

/**
 * Scores one LLM call from its prompt, response, model and system prompt. Flags name every
 * signal found (`injection:override`, `content:malware`, `pii:email`, `secret:api_key`,
 * `response:pii:email`, `response:system_prompt_leak`, `injection:model`, `model:adjusted`, ...).
 * `guard` is the learned classifier (null/undefined: rules only).
 */
export function scoreRisk(input: RiskInput, guard?: InjectionGuard | null): RiskResult {
  return assessRisk(input, guard).risk;
}

/** `scoreRisk` with the PII scans of the prompt and the response it used. */
export function assessRisk(input: RiskInput, guard?: InjectionGuard | null): RiskAssessment {
  return runSync(assessRiskSteps(input, guard));
}

/** Shares computed earlier (or elsewhere) of the same texts, used instead of scoring them again. */
export interface KnownShares {
  prompt?: PromptRisk | null;
  response?: ResponseRisk | null;
}

/**
 * `assessRisk` as pausable steps (slices.ts): run sliced for large texts, it gives the same
 * assessment without holding the event loop for the whole text. `known`: the prompt's and the
 * response's shares from an earlier assessment, each used when it was made of the same text
 * (with the same guard, the same system prompt). `promptBudget` and `guardChars`: as for
 * promptRiskSteps.
 */
export function* assessRiskSteps(
  input: RiskInput,
  guard?: InjectionGuard | null,
  known?: KnownShares | null,
  promptBudget?: Budget,
  guardChars?: number,
): Steps<RiskAssessment> {
  const knownPrompt = known?.prompt;
  const part =
    knownPrompt && knownPrompt.source === input.prompt && knownPrompt.guard === (guard ?? null)
      ? knownPrompt
      : yield* promptRiskSteps(input.prompt, guard ?? null, promptBudget, guardChars);
  const flags = [...part.flags];
  const weights = [...part.weights];
  const injections = new Set(part.injections);
  const { modelProbability } = part;

  let responseScanned: ScannedText | null = null;
  if (input.response) {
    const knownResponse = known?.response;
    const answer =
      knownResponse &&
      knownResponse.source === input.response &&
      knownResponse.systemPrompt === (input.systemPrompt ?? null)
        ? knownResponse
        : yield* responseRiskSteps(input.response, input.systemPrompt ?? null);
    responseScanned = answer.scanned;
    flags.push(...answer.flags);
    weights.push(...answer.weights);
  }

  const adjustment = modelAdjustment(input.model);
  if (adjustment && injections.size > 0) {
    flags.forEach((flag, i) => {
      if (flag.startsWith('injection:')) weights[i] = Math.min(100, (weights[i] ?? 0) * adjustment.injectionMultiplier);
    });
    flags.push('model:adjusted');
  }

  const combined = 100 * (1 - weights.reduce((rest, w) => rest * (1 - w / 100), 1));
  let score = Math.min(100, Math.max(0, Math.round(combined)));
  if (injections.size > 0) score = Math.max(score, DEFAULT_INJECTION_THRESHOLD);
  return {
    risk: { score, level: riskLevelFor(score), flags, modelProbability },
    pii: { prompt: part.scanned, response: responseScanned },
    promptRisk: part,
  };
}
