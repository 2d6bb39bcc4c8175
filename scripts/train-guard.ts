/**
 * npm run train:guard [data.jsonl] [--out models/guard-model.bin]: trains the injection
 * classifier (src/domain/guard) on a labelled JSON Lines file (`{"text", "label"}`, 1 =
 * injection; the public data set is never committed: scripts/riskDataset.ts says where it is
 * read from), plus the hand-written benign seed prompts in models/, cross-validates it (5-fold, stratified) and writes the model file whose header
 * records the data's sha256, the settings and the cross-validated metrics. Deterministic:
 * running it twice on the same data writes the same bytes.
 */
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { buildModelFile, DEFAULT_GUARD_SETTINGS, sha256Hex } from '../src/domain/guard/buildModel.js';
import { parseModel } from '../src/domain/guard/modelFile.js';
import type { LabelledText } from '../src/domain/guard/train.js';
import { riskDatasetHowTo, riskDatasetPath } from './riskDataset.js';

const repoRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
/** Hand-written benign business prompts (EN/DE), trained on with the data set; see README. */
const SEED_FILE = path.join(repoRoot, 'models/guard-benign-seed.jsonl');

function parseRows(bytes: Buffer, source: 'data' | 'seed'): LabelledText[] {
  return bytes
    .toString('utf8')
    .split('\n')
    .filter((line) => line.trim() !== '')
    .map((line) => {
      const row = JSON.parse(line) as { text: string; label: number };
      return { text: row.text, label: row.label === 1 ? 1 : 0, source };
    });
}
const args = process.argv.slice(2);
const outAt = args.indexOf('--out');
const out = path.resolve(outAt >= 0 ? args[outAt + 1]! : path.join(repoRoot, 'models/guard-model.bin'));
const positional = args.filter((a, i) => !a.startsWith('--') && (outAt < 0 || i !== outAt + 1));
const file = riskDatasetPath(positional[0]);

if (!existsSync(file)) {
  console.error(
    riskDatasetHowTo(file).replace('eval-risk', 'train-guard').replace('npm run eval:risk', 'npm run train:guard'),
  );
  process.exit(1);
}
const bytes = readFileSync(file);
const seedBytes = readFileSync(SEED_FILE);
const rows: LabelledText[] = [...parseRows(bytes, 'data'), ...parseRows(seedBytes, 'seed')];

const started = performance.now();
const model = buildModelFile(rows, DEFAULT_GUARD_SETTINGS, {
  dataFile: path.basename(file),
  dataSha256: sha256Hex(bytes),
  seed: { file: path.relative(repoRoot, SEED_FILE), sha256: sha256Hex(seedBytes) },
  k: 5,
  cvSeed: 1,
});
writeFileSync(out, model);
const { header } = parseModel(model);
console.log(
  `train-guard: ${header.data.rows} rows from ${file} (sha256 ${header.data.sha256.slice(0, 16)}...) + ${header.data.seed?.rows ?? 0} seed prompts`,
);
console.log(
  `wrote ${path.relative(repoRoot, out)} (${(model.length / 1024).toFixed(0)} KiB) in ${((performance.now() - started) / 1000).toFixed(1)} s`,
);
console.log('5-fold cross-validated, model alone (threshold', header.hyperparameters.threshold + '):');
console.table({
  all: header.crossValidation.overall,
  ...header.crossValidation.byLanguage,
  ...(header.crossValidation.seedPrompts ? { 'seed prompts': header.crossValidation.seedPrompts } : {}),
});
