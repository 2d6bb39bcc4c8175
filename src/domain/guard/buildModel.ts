/**
 * The whole of `npm run train:guard` without the file system: cross-validate the settings
 * (stratified k-fold, the pipeline retrained per fold), train on every row, and serialise the
 * model with a header recording the data's sha256, the settings and the out-of-fold metrics.
 * Deterministic: the same rows and settings give the same bytes.
 */
import { createHash } from 'node:crypto';
import { injectionProbability } from './classifier.js';
import { detectLanguage, foldPlan, metrics, outOfFold } from './evaluation.js';
import { serializeModel, type Metrics, type ModelHeader } from './modelFile.js';
import { trainClassifier, type LabelledText, type TrainParams } from './train.js';

export interface GuardSettings extends TrainParams {
  /** calibrated probability at or above which the model flags an injection */
  threshold: number;
}

/** The committed model's settings, chosen by 5-fold cross-validation on the dev split (README). */
export const DEFAULT_GUARD_SETTINGS: GuardSettings = {
  bits: 18,
  charMin: 1,
  charMax: 4,
  wordMax: 2,
  window: 512,
  lambda: 1e-4,
  iterations: 300,
  balanced: true,
  calibrationFolds: 5,
  seed: 17,
  threshold: 0.65,
};

export interface BuildOptions {
  /** the data file's name (recorded, not read) and its bytes' sha256 */
  dataFile: string;
  dataSha256: string;
  /** the benign seed prompts' file name and sha256, when rows include `source: 'seed'` ones */
  seed?: { file: string; sha256: string };
  k: number;
  cvSeed: number;
}

export function sha256Hex(bytes: Uint8Array | string): string {
  return createHash('sha256').update(bytes).digest('hex');
}

export function buildModelFile(rows: readonly LabelledText[], settings: GuardSettings, options: BuildOptions): Buffer {
  const plan = foldPlan(rows, options.k, options.cvSeed);
  const predicted = outOfFold(
    rows,
    plan,
    settings,
    (model, row) => injectionProbability(model, row.text) >= settings.threshold,
  );
  const all = rows.map((row, i) => ({
    predicted: predicted[i]!,
    label: row.label,
    lang: detectLanguage(row.text),
    seed: row.source === 'seed',
  }));
  const pairs = all.filter((p) => !p.seed);
  const seedPairs = all.filter((p) => p.seed);
  const byLanguage: Record<string, Metrics> = {};
  for (const lang of ['en', 'de', 'other']) {
    const subset = pairs.filter((p) => p.lang === lang);
    if (subset.length > 0) byLanguage[lang] = metrics(subset);
  }
  const model = trainClassifier(rows, settings);
  const header: Omit<ModelHeader, 'format' | 'bias' | 'calibA' | 'calibB' | 'weights'> = {
    data: {
      file: options.dataFile,
      sha256: options.dataSha256,
      rows: pairs.length,
      positives: pairs.filter((r) => r.label === 1).length,
      ...(options.seed ? { seed: { ...options.seed, rows: seedPairs.length } } : {}),
    },
    hyperparameters: { ...settings },
    crossValidation: {
      k: options.k,
      seed: options.cvSeed,
      overall: metrics(pairs),
      byLanguage,
      ...(seedPairs.length > 0 ? { seedPrompts: metrics(seedPairs) } : {}),
    },
  };
  return serializeModel(model, header);
}
