/**
 * The model side of risk scoring: a trained classifier plus the calibrated probability at or
 * above which it flags `injection:model` (from the model file's header).
 */
import { rawScoreNormalizedSteps, sigmoid, type LinearModel } from './classifier.js';
import { guardSlice, normalizeForGuard } from './normalize.js';
import { runSync, type Steps } from '../slices.js';

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
  return runSync(normalizedVerdictSteps(guard, normalized));
}

/** The verdict on an already normalised text, as pausable steps (slices.ts). */
export function* normalizedVerdictSteps(guard: InjectionGuard, normalized: string): Steps<ModelVerdict> {
  const { model } = guard;
  const probability = sigmoid(model.calibA * (yield* rawScoreNormalizedSteps(model, normalized)) + model.calibB);
  return { probability, flagged: probability >= guard.threshold };
}
