/**
 * The trained model's file format (models/guard-model.bin):
 *
 *   line 1: a JSON header (UTF-8, one line) - format, training data sha256, hyperparameters,
 *           cross-validated metrics, bias, calibration, and the sha256 of the weights
 *   then:   2^bits little-endian float32 weights (the hashed feature buckets)
 *
 * `head -1 models/guard-model.bin` shows the header. Serialising the same model gives the same
 * bytes (fixed key order, no timestamps).
 */
import { createHash } from 'node:crypto';
import type { FeatureParams, LinearModel } from './classifier.js';

export const MODEL_FORMAT = 'llmguard-injection-lr/1';

export interface Metrics {
  precision: number;
  recall: number;
  f1: number;
  fpr: number;
  tp: number;
  fp: number;
  tn: number;
  fn: number;
}

export interface ModelHeader {
  format: string;
  data: {
    file: string;
    sha256: string;
    rows: number;
    positives: number;
    seed?: { file: string; sha256: string; rows: number };
  };
  hyperparameters: FeatureParams & {
    lambda: number;
    iterations: number;
    balanced: boolean;
    calibrationFolds: number;
    seed: number;
    /** calibrated probability at or above which the model flags `injection:model` */
    threshold: number;
  };
  crossValidation: {
    k: number;
    seed: number;
    /** the data set's rows only */
    overall: Metrics;
    byLanguage: Record<string, Metrics>;
    /** the hand-written benign seed prompts, scored out of fold like the rest */
    seedPrompts?: Metrics;
  };
  bias: number;
  calibA: number;
  calibB: number;
  weights: { encoding: 'float32le'; count: number; sha256: string };
}

export class GuardModelFileError extends Error {}

const sha256 = (b: Uint8Array) => createHash('sha256').update(b).digest('hex');

/** The file's bytes: header line, newline, weights. */
export function serializeModel(
  model: LinearModel,
  header: Omit<ModelHeader, 'format' | 'bias' | 'calibA' | 'calibB' | 'weights'>,
): Buffer {
  const weights = Buffer.alloc(model.weights.length * 4);
  model.weights.forEach((w, i) => weights.writeFloatLE(w, i * 4));
  const full: ModelHeader = {
    format: MODEL_FORMAT,
    data: header.data,
    hyperparameters: header.hyperparameters,
    crossValidation: header.crossValidation,
    bias: model.bias,
    calibA: model.calibA,
    calibB: model.calibB,
    weights: { encoding: 'float32le', count: model.weights.length, sha256: sha256(weights) },
  };
  return Buffer.concat([Buffer.from(JSON.stringify(full) + '\n', 'utf8'), weights]);
}

/** Parses and checks a model file's bytes; throws GuardModelFileError saying what is wrong. */
export function parseModel(bytes: Buffer): { model: LinearModel; header: ModelHeader } {
  const nl = bytes.indexOf(0x0a);
  if (nl < 0) throw new GuardModelFileError('no header line');
  let header: ModelHeader;
  try {
    header = JSON.parse(bytes.subarray(0, nl).toString('utf8')) as ModelHeader;
  } catch {
    throw new GuardModelFileError('the header is not JSON');
  }
  if (header?.format !== MODEL_FORMAT) throw new GuardModelFileError(`unknown format ${String(header?.format)}`);
  const hp = header.hyperparameters;
  const count = 2 ** hp.bits;
  const body = bytes.subarray(nl + 1);
  if (header.weights?.count !== count || body.length !== count * 4)
    throw new GuardModelFileError(`expected ${count} weights, found ${body.length / 4}`);
  if (sha256(body) !== header.weights.sha256) throw new GuardModelFileError('the weights do not match their sha256');
  const weights = new Float32Array(count);
  for (let i = 0; i < count; i++) weights[i] = body.readFloatLE(i * 4);
  const params: FeatureParams = {
    bits: hp.bits,
    charMin: hp.charMin,
    charMax: hp.charMax,
    wordMax: hp.wordMax,
    window: hp.window,
  };
  return { model: { params, weights, bias: header.bias, calibA: header.calibA, calibB: header.calibB }, header };
}
