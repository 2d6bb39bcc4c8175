/**
 * npm run eval:risk [file]: honest evaluation of the injection guard on a labelled JSON Lines
 * set (`{"text", "label"}`, 1 = injection). The data set is public and never committed: see
 * scripts/riskDataset.ts for where it is read from (RISK_EVAL_DATASET or the first argument).
 *
 * Stratified k-fold cross-validation (k = 5, the folds of `npm run train:guard`): for each fold
 * the classifier is trained from scratch on the other folds (plus the hand-written benign seed
 * prompts of those folds) and scored on the held-out fold only, so no figure here comes from a
 * row the model was trained on. On the same folds it scores the rules alone, the model alone,
 * rules + model combined (scoreRisk, as ingestion does), and the peer libraries
 * (@andersmyrmel/vard, llm_guardrail, llmverify; not trained, just run on the held-out rows).
 * Reports precision, recall, F1 and false-positive rate overall and per language (en/de,
 * guessed from common function words), the spread of F1 over the folds, and latency.
 */
import { existsSync, readFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { DEFAULT_GUARD_SETTINGS } from '../src/domain/guard/buildModel.js';
import { detectLanguage, foldPlan, metrics, outOfFold } from '../src/domain/guard/evaluation.js';
import { modelVerdict, type InjectionGuard } from '../src/domain/guard/injectionGuard.js';
import type { Metrics } from '../src/domain/guard/modelFile.js';
import type { LabelledText } from '../src/domain/guard/train.js';
import { loadInjectionGuard } from '../src/services/guard/guardModel.js';
import { DEFAULT_INJECTION_THRESHOLD, scoreRisk } from '../src/domain/risk/riskScoring.js';
import { riskDatasetHowTo, riskDatasetPath } from './riskDataset.js';

const repoRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const file = riskDatasetPath(process.argv[2]);
const SEED_FILE = path.join(repoRoot, 'models/guard-benign-seed.jsonl');
const K = 5;
const CV_SEED = 1;
const settings = {
  ...DEFAULT_GUARD_SETTINGS,
  ...(process.env.GUARD_THRESHOLD ? { threshold: Number(process.env.GUARD_THRESHOLD) } : {}),
};

function parseRows(content: string, source: 'data' | 'seed'): LabelledText[] {
  return content
    .split('\n')
    .filter((line) => line.trim() !== '')
    .map((line) => {
      const row = JSON.parse(line) as { text: string; label: number };
      return { text: row.text, label: row.label === 1 ? 1 : 0, source };
    });
}

if (!existsSync(file)) {
  console.log(riskDatasetHowTo(file));
  process.exit(0);
}

/** Predicted injection: the score reaches the threshold because of an injection signal. */
function detected(prompt: string, guard: InjectionGuard | null): boolean {
  const { score, flags } = scoreRisk({ prompt }, guard);
  return score >= DEFAULT_INJECTION_THRESHOLD && flags.some((f) => f.startsWith('injection:'));
}

type Detector = (text: string) => Promise<boolean>;
interface Peer {
  name: string;
  detect?: Detector;
  error?: string;
}

/** The peers, loaded the way their READMEs show; one that fails to load is reported, not fatal. */
async function loadPeers(): Promise<Peer[]> {
  const peers: Peer[] = [];
  try {
    const vard = (await import('@andersmyrmel/vard')).default as unknown as (input: string) => string;
    // vard() returns the input when safe and throws a PromptInjectionError when not.
    peers.push({
      name: '@andersmyrmel/vard',
      detect: (text) => {
        try {
          vard(text);
          return Promise.resolve(false);
        } catch {
          return Promise.resolve(true);
        }
      },
    });
  } catch (err) {
    peers.push({ name: '@andersmyrmel/vard', error: (err as Error).message });
  }
  try {
    const { checkInjection } = (await import('llm_guardrail')) as unknown as {
      checkInjection: (text: string) => Promise<{ detected: boolean }>;
    };
    peers.push({ name: 'llm_guardrail', detect: async (text) => (await checkInjection(text)).detected });
  } catch (err) {
    peers.push({ name: 'llm_guardrail', error: (err as Error).message });
  }
  try {
    const { isInputSafe } = (await import('llmverify')) as unknown as {
      isInputSafe: (text: string) => boolean | Promise<boolean>;
    };
    peers.push({ name: 'llmverify', detect: async (text) => !(await isInputSafe(text)) });
  } catch (err) {
    peers.push({ name: 'llmverify', error: (err as Error).message });
  }
  return peers;
}

const dataRows = parseRows(readFileSync(file, 'utf8'), 'data');
const seedRows = existsSync(SEED_FILE) ? parseRows(readFileSync(SEED_FILE, 'utf8'), 'seed') : [];
const rows = [...dataRows, ...seedRows];
const plan = foldPlan(rows, K, CV_SEED);
const lang = rows.map((r) => detectLanguage(r.text));

console.log(`data set    ${file} (${dataRows.length} rows; + ${seedRows.length} hand-written benign seed prompts)`);
console.log(`folds       stratified ${K}-fold, seed ${CV_SEED}; the model is retrained on each fold's training rows`);
console.log(
  `detected    score >= ${DEFAULT_INJECTION_THRESHOLD} with an injection:* flag (rules, combined); ` +
    `model probability >= ${settings.threshold} (model alone)`,
);
console.log('languages   en/de guessed by counting common function words (umlauts/ß count as German)');

const started = performance.now();
const oof = outOfFold(rows, plan, settings, (model, row) => {
  const guard: InjectionGuard = { model, threshold: settings.threshold };
  return {
    rules: detected(row.text, null),
    model: modelVerdict(guard, row.text).flagged,
    combined: detected(row.text, guard),
  };
});
console.log(`cross-validation (training + scoring): ${((performance.now() - started) / 1000).toFixed(1)} s`);

const predictions: Record<string, boolean[]> = {
  rules: oof.map((o) => o.rules),
  model: oof.map((o) => o.model),
  'rules + model': oof.map((o) => o.combined),
};
const peers = await loadPeers();
for (const peer of peers) {
  if (!peer.detect) continue;
  const out: boolean[] = [];
  try {
    for (const row of rows) out.push(await peer.detect(row.text));
    predictions[peer.name] = out;
  } catch (err) {
    peer.error = `failed while scoring: ${(err as Error).message}`;
  }
}

const isData = rows.map((r) => r.source !== 'seed');
function subset(pred: boolean[], keep: (i: number) => boolean): Metrics {
  return metrics(rows.flatMap((r, i) => (keep(i) ? [{ predicted: pred[i]!, label: r.label }] : [])));
}
function foldSpread(pred: boolean[]): string {
  const f1s = Array.from({ length: K }, (_, f) => subset(pred, (i) => isData[i]! && plan.folds[i] === f).f1);
  const mean = f1s.reduce((a, b) => a + b, 0) / K;
  const sd = Math.sqrt(f1s.reduce((a, b) => a + (b - mean) ** 2, 0) / (K - 1));
  return `${mean.toFixed(3)} ± ${sd.toFixed(3)}`;
}

const table: Record<string, Record<string, string | number>> = {};
for (const [name, pred] of Object.entries(predictions)) {
  const all = subset(pred, (i) => isData[i]!);
  const en = subset(pred, (i) => isData[i]! && lang[i] === 'en');
  const de = subset(pred, (i) => isData[i]! && lang[i] === 'de');
  const seed = subset(pred, (i) => !isData[i]);
  table[name] = {
    P: all.precision,
    R: all.recall,
    F1: all.f1,
    FPR: all.fpr,
    'F1 folds': foldSpread(pred),
    'P en': en.precision,
    'R en': en.recall,
    'F1 en': en.f1,
    'FPR en': en.fpr,
    'P de': de.precision,
    'R de': de.recall,
    'F1 de': de.f1,
    'FPR de': de.fpr,
    'FPR seed': seed.fpr,
  };
}
const counts = (keep: (i: number) => boolean) => {
  const idx = rows.flatMap((r, i) => (keep(i) ? [r.label] : []));
  return `${idx.length} rows, ${idx.filter((l) => l === 1).length} injections`;
};
console.log(
  `\nout-of-fold results on the data set (all: ${counts((i) => isData[i]!)}; en: ${counts((i) => isData[i]! && lang[i] === 'en')}; ` +
    `de: ${counts((i) => isData[i]! && lang[i] === 'de')}; other: ${counts((i) => isData[i]! && lang[i] === 'other')})`,
);
console.log('FPR seed: share of the 100 benign seed business prompts (EN/DE) flagged, scored out of fold too');
console.table(table);
for (const peer of peers) if (peer.error) console.log(`peer ${peer.name}: NOT RUN (${peer.error})`);

// Latency of the model on 1 KB prompts (dev rows joined up to 1024 characters) and of the full
// scoreRisk (rules + model) per dev prompt, with the committed model.
const { guard } = loadInjectionGuard();
const kb: string[] = [];
let buf = '';
for (const r of dataRows) {
  buf += `${r.text} `;
  if (buf.length >= 1024) {
    kb.push(buf.slice(0, 1024));
    buf = '';
  }
}
function percentiles(fn: (text: string) => unknown, texts: string[], rounds: number): { p50: number; p99: number } {
  for (const t of texts) fn(t); // warm-up
  const times: number[] = [];
  for (let r = 0; r < rounds; r++) {
    for (const t of texts) {
      const s = performance.now();
      fn(t);
      times.push(performance.now() - s);
    }
  }
  times.sort((a, b) => a - b);
  return { p50: times[Math.floor(times.length * 0.5)]!, p99: times[Math.floor(times.length * 0.99)]! };
}
const load = os.loadavg()[0]!.toFixed(1);
const modelKb = percentiles((t) => modelVerdict(guard, t), kb, Math.ceil(3000 / kb.length));
const fullRow = percentiles(
  (t) => scoreRisk({ prompt: t }, guard),
  dataRows.map((r) => r.text),
  5,
);
const rulesRow = percentiles(
  (t) => scoreRisk({ prompt: t }),
  dataRows.map((r) => r.text),
  5,
);
const ms = (x: number) => `${x.toFixed(3)} ms`;
console.log(
  `\nlatency (wall clock, one thread; load average ${load} on ${os.cpus().length} cores: a shared, noisy machine)`,
);
console.table({
  [`model, 1 KB prompt (${kb.length} prompts)`]: { p50: ms(modelKb.p50), p99: ms(modelKb.p99) },
  'scoreRisk rules + model, per dev prompt': { p50: ms(fullRow.p50), p99: ms(fullRow.p99) },
  'scoreRisk rules only, per dev prompt': { p50: ms(rulesRow.p50), p99: ms(rulesRow.p99) },
});
