/**
 * Evaluation helpers shared by `npm run train:guard` and `npm run eval:risk`: confusion
 * metrics, a small language guess (en/de/other) and stratified k-fold out-of-fold scoring.
 */
import type { LinearModel } from './classifier.js';
import type { Metrics } from './modelFile.js';
import { stratifiedFolds, trainClassifier, type LabelledText, type TrainParams } from './train.js';

export function metrics(pairs: readonly { predicted: boolean; label: 0 | 1 }[]): Metrics {
  let tp = 0;
  let fp = 0;
  let tn = 0;
  let fn = 0;
  for (const { predicted, label } of pairs) {
    if (predicted && label === 1) tp += 1;
    else if (predicted) fp += 1;
    else if (label === 1) fn += 1;
    else tn += 1;
  }
  const precision = tp + fp === 0 ? 0 : tp / (tp + fp);
  const recall = tp + fn === 0 ? 0 : tp / (tp + fn);
  const f1 = precision + recall === 0 ? 0 : (2 * precision * recall) / (precision + recall);
  const fpr = fp + tn === 0 ? 0 : fp / (fp + tn);
  const r = (x: number) => Math.round(x * 1000) / 1000;
  return { precision: r(precision), recall: r(recall), f1: r(f1), fpr: r(fpr), tp, fp, tn, fn };
}

const GERMAN = new Set(
  'der die das und ist nicht ich du sie wir ihr ein eine einen einem einer mit für auf dem den des von zu im ist sind was wie wer warum wo bitte kannst können mir mich dich dein deine ihre alle alles vergiss vergessen ignoriere jetzt nun aber oder auch über nach bei schreibe sage gib'.split(
    ' ',
  ),
);
const ENGLISH = new Set(
  'the and is are not you we they a an of to in on for with what how who why where please can could me my your all everything forget ignore now but or also about after at write say give this that it be do does'.split(
    ' ',
  ),
);

/**
 * en, de or other, by counting very common function words of each language (and umlauts/ß as
 * German evidence); a text with neither kind of word is "other".
 */
export function detectLanguage(text: string): 'en' | 'de' | 'other' {
  const words = text.toLowerCase().match(/\p{L}+/gu) ?? [];
  let de = (text.match(/[äöüß]/gi)?.length ?? 0) > 0 ? 1 : 0;
  let en = 0;
  for (const w of words) {
    if (GERMAN.has(w)) de += 1;
    if (ENGLISH.has(w)) en += 1;
  }
  if (de === 0 && en === 0) return 'other';
  return de > en ? 'de' : 'en';
}

export interface FoldPlan {
  k: number;
  seed: number;
  /** fold number of each row */
  folds: number[];
}

export function foldPlan(rows: readonly LabelledText[], k: number, seed: number): FoldPlan {
  return {
    k,
    seed,
    folds: stratifiedFolds(
      rows.map((r) => r.label),
      k,
      seed,
    ),
  };
}

/**
 * Out-of-fold predictions: for each fold, the classifier is trained on the other folds only and
 * `score` is called for the held-out rows with that fold's model.
 */
export function outOfFold<T>(
  rows: readonly LabelledText[],
  plan: FoldPlan,
  tp: TrainParams,
  score: (model: LinearModel, row: LabelledText, index: number) => T,
): T[] {
  const out = new Array<T>(rows.length);
  for (let f = 0; f < plan.k; f++) {
    const model = trainClassifier(
      rows.filter((_, i) => plan.folds[i] !== f),
      tp,
    );
    rows.forEach((row, i) => {
      if (plan.folds[i] === f) out[i] = score(model, row, i);
    });
  }
  return out;
}
