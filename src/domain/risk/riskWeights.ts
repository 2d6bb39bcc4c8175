/**
 * How much each risk signal weighs (0-100, combined as independent evidence by riskScoring.ts),
 * the score's levels, and the models whose injection flags weigh more.
 */
import type { RiskLevel } from '../../types/vocabulary.js';

/** Lower bounds of each level: low < 30 <= medium < 60 <= high < 85 <= critical. */
export const RISK_LEVEL_THRESHOLDS = { medium: 30, high: 60, critical: 85 } as const;

/** Score at or above which a prompt counts as a detected injection (evaluation, decisions). */
export const DEFAULT_INJECTION_THRESHOLD = RISK_LEVEL_THRESHOLDS.high;

export const FLAG_WEIGHTS: Record<string, number> = {
  'injection:override': 70,
  'injection:jailbreak': 65,
  'injection:prompt_extraction': 65,
  'injection:encoded': 60,
  'injection:delimiter': 60,
  /** placeholder: the model's weight is 100 * its probability (see scoreRisk) */
  'injection:model': 65,
  'content:violence': 35,
  'content:self_harm': 45,
  'content:weapons': 45,
  'content:malware': 40,
  'content:hate': 40,
  'pii:email': 10,
  'pii:phone': 10,
  'pii:iban': 30,
  'pii:ssn': 35,
  'pii:credit_card': 40,
  'secret:api_key': 50,
  'secret:jwt': 40,
  'secret:private_key': 60,
  'response:system_prompt_leak': 60,
};

/**
 * The model's flag weighs 100 * its probability, at most this: a probability fitted on a few
 * hundred rows is never certainty, so the model alone cannot reach a threshold of 100.
 */
export const MODEL_WEIGHT_CAP = 90;

/** Output-side PII is worse than input-side: the model disclosed it. */
export const RESPONSE_PII_FACTOR = 1.25;

export interface ModelAdjustment {
  /** matched against the lower-cased model name */
  pattern: RegExp;
  /** multiplies the weight of every injection flag */
  injectionMultiplier: number;
  reason: string;
}

/** Older and smaller models follow injected instructions more readily. First match wins. */
export const MODEL_ADJUSTMENTS: ModelAdjustment[] = [
  {
    pattern: /(?:^|\/)(?:text-)?(?:davinci|curie|babbage|ada)\b/,
    injectionMultiplier: 1.4,
    reason: 'legacy completion model',
  },
  { pattern: /(?:^|\/)gpt-3\.5/, injectionMultiplier: 1.3, reason: 'older chat model' },
  { pattern: /claude-(?:instant|2)/, injectionMultiplier: 1.2, reason: 'older chat model' },
  {
    pattern: /(?:^|[/:-])(?:llama-?2|mistral-7b|tinyllama|phi-?[23]|gemma-?2b)|[-:](?:1|3|7|8)b\b/,
    injectionMultiplier: 1.25,
    reason: 'small open-weights model',
  },
];

/** Maps a score to its level. */
export function riskLevelFor(score: number): RiskLevel {
  if (score >= RISK_LEVEL_THRESHOLDS.critical) return 'critical';
  if (score >= RISK_LEVEL_THRESHOLDS.high) return 'high';
  if (score >= RISK_LEVEL_THRESHOLDS.medium) return 'medium';
  return 'low';
}

/** The adjustment of `model` (lower-cased), if any. */
export function modelAdjustment(model: string | undefined): ModelAdjustment | undefined {
  const name = model?.toLowerCase();
  return name ? MODEL_ADJUSTMENTS.find((a) => a.pattern.test(name)) : undefined;
}
