/**
 * The learned injection detector: hashed character and word n-grams of the normalised text
 * (normalize.ts), a logistic regression over them, pure TypeScript, no native code.
 *
 * Features of one text window: every distinct character n-gram (lengths charMin..charMax, the
 * text padded with one space each side) and word n-gram (1..wordMax words), each hashed
 * (FNV-1a, 32 bit) into one of 2^bits buckets; a bucket present counts 1, and the vector is
 * divided by the square root of the number of distinct buckets (unit length). The score is
 * bias + sum of the present buckets' weights, and the probability is the logistic of
 * (calibA * score + calibB) (Platt scaling, fitted on out-of-fold scores).
 *
 * Long texts are cut into windows of `window` normalised characters with half-window overlap,
 * and the text's probability is the highest window's: an injection in the last paragraph of a
 * 50 KB document is scored on its own paragraph, not drowned by the rest, and the work is
 * linear in the length (each character is hashed twice), capped at MAX_SCORED_CHARS.
 */
import { guardSlice, normalizeForGuard } from './normalize.js';
import { Every, runSync, type Steps } from '../slices.js';

export interface FeatureParams {
  /** hash space: 2^bits buckets */
  bits: number;
  charMin: number;
  charMax: number;
  /** word n-grams of 1..wordMax words (0 = none) */
  wordMax: number;
  /** window length in normalised characters */
  window: number;
}

export interface LinearModel {
  params: FeatureParams;
  weights: Float32Array;
  bias: number;
  /** Platt scaling of the raw score: p = sigmoid(calibA * raw + calibB) */
  calibA: number;
  calibB: number;
}

/** Beyond this many normalised characters the middle of a text is not scored (head and tail are). */
export const MAX_SCORED_CHARS = 256 * 1024;

const FNV_OFFSET = 0x811c9dc5;
const FNV_PRIME = 0x01000193;
const WORD_SEED = 0x9e3779b9;

/**
 * Scratch space reused by every call (scoring is synchronous, so one set suffices). The stamp
 * per bucket is 16 bits (512 KB for 2^18 buckets, cleared every 65,535 windows): half the cache
 * footprint of 32-bit stamps, next to the weights the same loop reads.
 */
let stamp = new Uint16Array(0);
let current = 0;
let codes = new Uint16Array(4096);
let found = new Uint32Array(16384);

/**
 * The distinct buckets of the window text[start, end) (already normalised), written to the
 * start of the returned array; returns the array and the count (and, given `weights`, the sum
 * of the buckets' weights in the order found). The array is shared scratch: read it before the
 * next call.
 */
export function collectFeatures(
  text: string,
  start: number,
  end: number,
  p: FeatureParams,
  weights?: Float32Array,
): { buckets: Uint32Array; count: number; sum: number } {
  const size = 1 << p.bits;
  const mask = size - 1;
  if (stamp.length !== size) {
    stamp = new Uint16Array(size);
    current = 0;
  }
  current += 1;
  if (current === 0x10000) {
    stamp.fill(0);
    current = 1;
  }
  const cur = current;
  const st = stamp;
  // " " + window + " " as code units
  const len = end - start + 2;
  if (codes.length < len) codes = new Uint16Array(len * 2);
  const cd = codes;
  cd[0] = 32;
  for (let i = start; i < end; i++) cd[i - start + 1] = text.charCodeAt(i);
  cd[len - 1] = 32;
  const most = len * (p.charMax - p.charMin + 1) + len * p.wordMax;
  if (found.length < most) found = new Uint32Array(most * 2);
  const fd = found;
  let count = 0;
  // With `weights`, their sum over the distinct buckets in the order found (the score's sum).
  let sum = 0;
  const w = weights;
  const { charMin, charMax, wordMax } = p;
  // Hashes stay int32 (Math.imul); only their low `bits` bits are used.
  const h0 = Math.imul(FNV_OFFSET ^ charMin, FNV_PRIME);
  for (let i = 0; i < len; i++) {
    let h = h0;
    const last = Math.min(charMax, len - i);
    for (let n = 1; n <= last; n++) {
      h = Math.imul(h ^ cd[i + n - 1]!, FNV_PRIME);
      if (n >= charMin) {
        const b = Math.imul(h ^ n, FNV_PRIME) & mask;
        if (st[b] !== cur) {
          st[b] = cur;
          fd[count++] = b;
          if (w !== undefined) sum += w[b]!;
        }
      }
    }
  }
  if (wordMax > 0) {
    // Word n-grams: a word is a run of ASCII digits/lower-case letters or non-ASCII characters.
    const ring = new Int32Array(wordMax);
    let words = 0;
    let h = 0;
    let inWord = false;
    for (let i = 1; i <= len - 1; i++) {
      const c = cd[i]!;
      const isWordChar = i < len - 1 && ((c >= 48 && c <= 57) || (c >= 97 && c <= 122) || c >= 0xc0);
      if (isWordChar) {
        if (!inWord) {
          h = FNV_OFFSET;
          inWord = true;
        }
        h = Math.imul(h ^ c, FNV_PRIME);
      } else if (inWord) {
        inWord = false;
        ring[words % wordMax] = h;
        words += 1;
        let g = WORD_SEED;
        const span = Math.min(words, wordMax);
        for (let k = 1; k <= span; k++) {
          g = Math.imul(g ^ ring[(words - k) % wordMax]!, FNV_PRIME);
          const b = Math.imul(g ^ k, 0x27d4eb2d) & mask;
          if (st[b] !== cur) {
            st[b] = cur;
            fd[count++] = b;
            if (w !== undefined) sum += w[b]!;
          }
        }
      }
    }
  }
  return { buckets: found, count, sum };
}

/** The sparse feature vector of one window: buckets and the common value 1/sqrt(count). */
export function featureVector(
  text: string,
  start: number,
  end: number,
  p: FeatureParams,
): { idx: Uint32Array; value: number } {
  const { buckets, count } = collectFeatures(text, start, end, p);
  return { idx: buckets.slice(0, count).sort(), value: count === 0 ? 0 : 1 / Math.sqrt(count) };
}

/** Window bounds [start, end) over a normalised text: one window if it fits, else half-overlapping. */
export function windows(length: number, window: number): [number, number][] {
  if (length <= window) return [[0, length]];
  const step = Math.max(1, Math.floor(window / 2));
  const out: [number, number][] = [];
  const scored = Math.min(length, MAX_SCORED_CHARS);
  // Over the cap: the head and the tail (injections are usually at one end), joined without gap.
  const headEnd = length > MAX_SCORED_CHARS ? scored / 2 : length;
  for (let s = 0; s < headEnd; s += step) {
    out.push([s, Math.min(length, s + window)]);
    if (s + window >= length) return out;
  }
  for (let s = length - scored / 2; s < length; s += step) {
    out.push([s, Math.min(length, s + window)]);
    if (s + window >= length) break;
  }
  return out;
}

/** Raw score (logit before calibration) of one window. */
function windowScore(model: LinearModel, text: string, start: number, end: number): number {
  const { count, sum } = collectFeatures(text, start, end, model.params, model.weights);
  return model.bias + (count === 0 ? 0 : sum / Math.sqrt(count));
}

export const sigmoid = (z: number): number => 1 / (1 + Math.exp(-z));

/** Windows scored between two pause points of a sliced scoring (~1 ms). */
const WINDOWS_PER_SLICE = 16;

/** Highest raw window score of an already normalised text. */
export function rawScoreNormalized(model: LinearModel, normalized: string): number {
  return runSync(rawScoreNormalizedSteps(model, normalized));
}

/**
 * `rawScoreNormalized` as pausable steps (slices.ts). The scratch buffers are only used within
 * one window, so other scorings may run in the pauses between windows.
 */
export function* rawScoreNormalizedSteps(model: LinearModel, normalized: string): Steps<number> {
  let best = -Infinity;
  const slice = new Every(WINDOWS_PER_SLICE);
  for (const [s, e] of windows(normalized.length, model.params.window)) {
    if (slice.tick()) yield;
    best = Math.max(best, windowScore(model, normalized, s, e));
  }
  return best;
}

/** Calibrated probability (0-1) that `text` is a prompt injection. */
export function injectionProbability(model: LinearModel, text: string): number {
  return sigmoid(model.calibA * rawScoreNormalized(model, normalizeForGuard(guardSlice(text))) + model.calibB);
}
