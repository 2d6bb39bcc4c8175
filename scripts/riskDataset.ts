/**
 * Where the labelled prompt-injection set is read from. It is public data that is never
 * committed: `RISK_EVAL_DATASET` names a JSON Lines file, otherwise
 * `.data/datasets/prompt-injection-dev.jsonl` inside the checkout (ignored by git) is used.
 */
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const repoRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');

export const RISK_DATASET_ENV = 'RISK_EVAL_DATASET';

export function riskDatasetPath(explicit?: string): string {
  const chosen = explicit ?? process.env[RISK_DATASET_ENV];
  return chosen ? path.resolve(chosen) : path.join(repoRoot, '.data', 'datasets', 'prompt-injection-dev.jsonl');
}

/** What to do when the file is absent: where the data comes from and how to convert it. */
export function riskDatasetHowTo(file: string): string {
  return [
    `eval-risk: no data set at ${file}.`,
    'It is the train split (546 rows) of the public dataset deepset/prompt-injections',
    '(Apache-2.0, on the Hugging Face Hub), as JSON Lines: one {"text": string, "label": 0|1}',
    'per line, 1 = prompt injection, original row order. With Python and the `datasets` package:',
    `  mkdir -p ${path.dirname(file)}`,
    `  python3 -c "from datasets import load_dataset; load_dataset('deepset/prompt-injections', split='train').to_json('${file}', force_ascii=False)"`,
    `Then run npm run eval:risk again, or pass another path as the first argument or in ${RISK_DATASET_ENV}.`,
  ].join('\n');
}
