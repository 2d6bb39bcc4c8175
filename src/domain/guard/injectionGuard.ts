/**
 * The model side of risk scoring: a trained classifier plus the calibrated probability at or
 * above which it flags `injection:model` (from the model file's header).
 */
import { rawScoreNormalized, sigmoid, type LinearModel } from './classifier.js';
import { guardSlice, normalizeForGuard } from './normalize.js';

export interface InjectionGuard {
  model: LinearModel;
  /** calibrated probability at or above which `injection:model` is flagged */
  threshold: number;
}

export interface ModelVerdict {
  /** calibrated probability (0-1) that the text is a prompt injection */
  probability: number;
  flagged: boolean;
}

/** The model's verdict on `text` (`normalized`: already passed through normalizeForGuard). */
export function modelVerdict(
  guard: InjectionGuard,
  text: string,
  options: { normalized?: boolean } = {},
): ModelVerdict {
  const normalized = options.normalized ? text : normalizeForGuard(guardSlice(text));
  const { model } = guard;
  const probability = sigmoid(model.calibA * rawScoreNormalized(model, normalized) + model.calibB);
  return { probability, flagged: probability >= guard.threshold };
}
