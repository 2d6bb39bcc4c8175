/**
 * npm run eval:risk [file]: scores a labelled prompt-injection set (JSON Lines of
 * `{"text": string, "label": 0|1}`, 1 = injection) and prints the confusion matrix.
 * The data set is public and never committed: see scripts/riskDataset.ts for where it is read
 * from, and the message printed when it is absent for where to get it.
 */
import { existsSync, readFileSync } from 'node:fs';
import { DEFAULT_INJECTION_THRESHOLD, scoreRisk } from '../src/domain/risk/riskScoring.js';
import { riskDatasetHowTo, riskDatasetPath } from './riskDataset.js';

const file = riskDatasetPath(process.argv[2]);

interface Row {
  text: string;
  label: 0 | 1;
}

function parseRows(content: string): Row[] {
  return content
    .split('\n')
    .filter((line) => line.trim() !== '')
    .map((line) => JSON.parse(line) as Row);
}

/** Predicted injection: the score reaches the threshold because of an injection signal. */
function isPredictedInjection(text: string): boolean {
  const { score, flags } = scoreRisk({ prompt: text });
  return score >= DEFAULT_INJECTION_THRESHOLD && flags.some((f) => f.startsWith('injection:'));
}

const ratio = (a: number, b: number): string => (b === 0 ? 'n/a' : (a / b).toFixed(3));

if (!existsSync(file)) {
  console.log(riskDatasetHowTo(file));
  process.exit(0);
}

const rows = parseRows(readFileSync(file, 'utf8'));
let tp = 0;
let fp = 0;
let tn = 0;
let fn = 0;
const started = performance.now();
for (const row of rows) {
  const predicted = isPredictedInjection(row.text);
  if (predicted && row.label === 1) tp += 1;
  else if (predicted) fp += 1;
  else if (row.label === 1) fn += 1;
  else tn += 1;
}
const elapsedMs = performance.now() - started;

const precision = tp + fp === 0 ? 0 : tp / (tp + fp);
const recall = tp + fn === 0 ? 0 : tp / (tp + fn);
console.log(`data set   ${file}`);
console.log(`threshold  score >= ${DEFAULT_INJECTION_THRESHOLD} with an injection:* flag`);
console.table({
  rows: rows.length,
  TP: tp,
  FP: fp,
  TN: tn,
  FN: fn,
  precision: ratio(tp, tp + fp),
  recall: ratio(tp, tp + fn),
  F1: precision + recall === 0 ? 'n/a' : ((2 * precision * recall) / (precision + recall)).toFixed(3),
  accuracy: ratio(tp + tn, rows.length),
  'ms/row': (elapsedMs / Math.max(1, rows.length)).toFixed(3),
});
console.log('confusion   predicted+  predicted-');
console.log(`actual+     ${String(tp).padStart(10)}  ${String(fn).padStart(10)}`);
console.log(`actual-     ${String(fp).padStart(10)}  ${String(tn).padStart(10)}`);
