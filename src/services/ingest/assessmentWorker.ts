/**
 * Runs in a worker thread (assessmentWorkers.ts): the prompt's share of a large exchange's
 * assessment, the same code the request thread runs (riskScoring.ts promptRiskSteps), straight
 * through. The guard arrives once per thread as worker data (a plain object: the model's
 * parameters and weights).
 */
import { move, transferableSymbol, valueSymbol, workerData } from 'piscina';
import type { InjectionGuard } from '../../domain/guard/injectionGuard.js';
import { scanData, type PiiScanData } from '../../domain/risk/pii.js';
import { redactAheadSteps } from '../../domain/risk/piiRedaction.js';
import { promptRiskSteps } from '../../domain/risk/riskScoring.js';
import { runSync } from '../../domain/slices.js';

export interface PromptTask {
  prompt: string;
  /** also redact the prompt (when its scan found anything): the project redacts PII */
  redact: boolean;
}

/** What crosses back: PromptRisk without what the request thread already holds (the prompt, the guard). */
export interface PromptShare {
  /** the prompt as scored, when it differs from the prompt as sent (invisible characters removed) */
  scoredText: string | null;
  scan: PiiScanData;
  /** the prompt with the scan's matches replaced (asked for and anything found), else null */
  redacted: string | null;
  injections: string[];
  flags: string[];
  weights: number[];
  modelProbability: number | null;
}

const { guard } = workerData as { guard: InjectionGuard | null };

/**
 * The share with the scan's typed arrays moved, not copied, to the request thread (a crafted
 * megabyte holds ~100k matches: a megabyte of arrays). The shared empty arrays of a scan that
 * found nothing stay (moving them would empty them for every later scan in this thread).
 */
function moved(share: PromptShare): PromptShare {
  const { start, end, type, unverified } = share.scan.spans;
  const buffers = [start.buffer, end.buffer, type.buffer, unverified.buffer].filter((b) => b.byteLength > 0);
  if (buffers.length === 0) return share;
  return move({
    get [transferableSymbol]() {
      return buffers;
    },
    get [valueSymbol]() {
      return share;
    },
  }) as unknown as PromptShare;
}

export default function scorePrompt({ prompt, redact }: PromptTask): PromptShare {
  const share = runSync(promptRiskSteps(prompt, guard));
  const { text, scan } = share.scanned;
  const redacted = redact ? (runSync(redactAheadSteps(prompt, text, scan)) ?? null) : null;
  return moved({
    scoredText: text === prompt ? null : text,
    scan: scanData(scan),
    redacted,
    injections: [...share.injections],
    flags: [...share.flags],
    weights: [...share.weights],
    modelProbability: share.modelProbability,
  });
}
