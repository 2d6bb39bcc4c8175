/**
 * Deterministic training of the injection classifier (classifier.ts): L2-regularised logistic
 * regression fitted by full-batch accelerated gradient descent (Nesterov, fixed step 1/L, fixed
 * iteration count) over the hashed features, then Platt scaling fitted on inner out-of-fold
 * scores. No randomness except the fold assignment, which uses a seeded generator; rows are
 * visited in their given order, so the same rows and settings give the same bits.
 */
import { featureVector, rawScoreNormalized, sigmoid, type FeatureParams, type LinearModel } from './classifier.js';
import { normalizeForGuard } from './normalize.js';
import { seededRandom } from '../../utils/random.js';

export interface LabelledText {
  text: string;
  label: 0 | 1;
  /** `seed`: a hand-written benign business prompt (models/guard-benign-seed.jsonl), trained on but not part of the data set's metrics */
  source?: 'data' | 'seed';
}

export interface TrainParams extends FeatureParams {
  /** L2 penalty on the weights (the bias is not penalised) */
  lambda: number;
  iterations: number;
  /** weight classes inversely to their frequency */
  balanced: boolean;
  /** folds of the inner cross-validation that fits the Platt calibration (0 = none) */
  calibrationFolds: number;
  seed: number;
}

export { seededRandom };

/**
 * Stratified k-fold assignment: each class is shuffled (seeded Fisher-Yates) and dealt round
 * robin, so every fold has the class ratio of the whole. Returns the fold number of each row.
 */
export function stratifiedFolds(labels: readonly number[], k: number, seed: number): number[] {
  const rand = seededRandom(seed);
  const fold = new Array<number>(labels.length).fill(0);
  let offset = 0;
  for (const cls of [...new Set(labels)].sort()) {
    const rows = labels.flatMap((l, i) => (l === cls ? [i] : []));
    for (let i = rows.length - 1; i > 0; i--) {
      const j = Math.floor(rand() * (i + 1));
      [rows[i], rows[j]] = [rows[j]!, rows[i]!];
    }
    rows.forEach((row, i) => (fold[row] = (i + offset) % k));
    offset += rows.length;
  }
  return fold;
}

interface Compact {
  /** per row: local feature indices */
  idx: Uint32Array[];
  value: Float64Array;
  /** local index -> bucket */
  buckets: number[];
}

function compact(texts: string[], p: FeatureParams): Compact {
  const local = new Map<number, number>();
  const buckets: number[] = [];
  const value = new Float64Array(texts.length);
  const idx = texts.map((t, r) => {
    const v = featureVector(t, 0, t.length, p);
    value[r] = v.value;
    return v.idx.map((b) => {
      let l = local.get(b);
      if (l === undefined) {
        l = buckets.length;
        local.set(b, l);
        buckets.push(b);
      }
      return l;
    });
  });
  return { idx, value, buckets };
}

/** Logistic regression on already normalised texts; returns the model before calibration. */
function fitLinear(texts: string[], labels: (0 | 1)[], tp: TrainParams): LinearModel {
  const data = compact(texts, tp);
  const n = texts.length;
  const m = data.buckets.length;
  const positives = labels.reduce<number>((s, l) => s + l, 0);
  const cPos = tp.balanced && positives > 0 ? n / (2 * positives) : 1;
  const cNeg = tp.balanced && positives < n ? n / (2 * (n - positives)) : 1;
  // Lipschitz bound of the gradient: rows have unit norm plus the bias input 1.
  const step = 1 / (0.5 * Math.max(cPos, cNeg) + tp.lambda);
  let w = new Float64Array(m);
  let b = 0;
  let wPrev = new Float64Array(m);
  let bPrev = 0;
  const y = new Float64Array(m); // look-ahead point
  const grad = new Float64Array(m);
  for (let k = 1; k <= tp.iterations; k++) {
    const mom = (k - 1) / (k + 2);
    for (let j = 0; j < m; j++) y[j] = w[j]! + mom * (w[j]! - wPrev[j]!);
    const yb = b + mom * (b - bPrev);
    grad.fill(0);
    let gb = 0;
    for (let r = 0; r < n; r++) {
      const ids = data.idx[r]!;
      const v = data.value[r]!;
      let s = 0;
      for (let q = 0; q < ids.length; q++) s += y[ids[q]!]!;
      const z = yb + v * s;
      const label = labels[r]!;
      const g = ((label === 1 ? cPos : cNeg) * (sigmoid(z) - label)) / n;
      gb += g;
      const gv = g * v;
      for (let q = 0; q < ids.length; q++) {
        const j = ids[q]!;
        grad[j] = grad[j]! + gv;
      }
    }
    const next = wPrev; // reuse the buffer
    for (let j = 0; j < m; j++) next[j] = y[j]! - step * (grad[j]! + tp.lambda * y[j]!);
    wPrev = w;
    w = next;
    bPrev = b;
    b = yb - step * gb;
  }
  const weights = new Float32Array(1 << tp.bits);
  data.buckets.forEach((bucket, j) => (weights[bucket] = w[j]!));
  return { params: featureParams(tp), weights, bias: b, calibA: 1, calibB: 0 };
}

export function featureParams(tp: FeatureParams): FeatureParams {
  return { bits: tp.bits, charMin: tp.charMin, charMax: tp.charMax, wordMax: tp.wordMax, window: tp.window };
}

/** Platt scaling: a, b minimising the log loss of sigmoid(a*s + b) (Newton steps, fixed count). */
export function fitPlatt(scores: number[], labels: (0 | 1)[]): { a: number; b: number } {
  // Platt's smoothed targets keep a separable fold from pushing a to infinity.
  const pos = labels.filter((l) => l === 1).length;
  const neg = labels.length - pos;
  const hi = (pos + 1) / (pos + 2);
  const lo = 1 / (neg + 2);
  let a = 1;
  let b = 0;
  for (let it = 0; it < 50; it++) {
    let ga = 0;
    let gb = 0;
    let haa = 1e-9;
    let hab = 0;
    let hbb = 1e-9;
    scores.forEach((s, i) => {
      const p = sigmoid(a * s + b);
      const t = labels[i] === 1 ? hi : lo;
      const d = p - t;
      const wgt = p * (1 - p);
      ga += d * s;
      gb += d;
      haa += wgt * s * s;
      hab += wgt * s;
      hbb += wgt;
    });
    const det = haa * hbb - hab * hab;
    if (Math.abs(det) < 1e-12) break;
    const da = (hbb * ga - hab * gb) / det;
    const db = (haa * gb - hab * ga) / det;
    a -= da;
    b -= db;
    if (Math.abs(da) + Math.abs(db) < 1e-10) break;
  }
  return { a, b };
}

/** Trains the classifier on `rows` (the whole pipeline: normalise, fit, calibrate). */
export function trainClassifier(rows: readonly LabelledText[], tp: TrainParams): LinearModel {
  const texts = rows.map((r) => normalizeForGuard(r.text));
  const labels = rows.map((r) => r.label);
  const model = fitLinear(texts, labels, tp);
  if (tp.calibrationFolds < 2) return model;
  const folds = stratifiedFolds(labels, tp.calibrationFolds, tp.seed + 1);
  const oof = new Array<number>(rows.length).fill(0);
  for (let f = 0; f < tp.calibrationFolds; f++) {
    const train = texts.flatMap((t, i) => (folds[i] !== f ? [i] : []));
    const inner = fitLinear(
      train.map((i) => texts[i]!),
      train.map((i) => labels[i]!),
      tp,
    );
    texts.forEach((t, i) => {
      if (folds[i] === f) oof[i] = rawScoreNormalized(inner, t);
    });
  }
  const { a, b } = fitPlatt(oof, labels);
  return { ...model, calibA: a, calibB: b };
}
