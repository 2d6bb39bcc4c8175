/**
 * Runs in a worker thread (assessmentWorkers.ts): the prompt's or the response's share of a
 * large exchange's assessment, the same code the request thread runs (riskScoring.ts
 * promptRiskSteps, responseRiskSteps), straight through. The guard arrives once per thread as
 * worker data (a plain object: the model's parameters and weights).
 */
import { getPriority } from 'node:os';
import { move, transferableSymbol, valueSymbol, workerData } from 'piscina';
import type { InjectionGuard } from '../../domain/guard/injectionGuard.js';
import { scanData, type PiiScan, type PiiScanData } from '../../domain/risk/pii.js';
import { redactAheadSteps } from '../../domain/risk/piiRedaction.js';
import { promptRiskSteps, responseRiskSteps } from '../../domain/risk/riskScoring.js';
import { runSync } from '../../domain/slices.js';

export interface PromptTask {
  kind: 'prompt';
  prompt: string;
  /** also redact the prompt (when its scan found anything): the project redacts PII */
  redact: boolean;
}

export interface ResponseTask {
  kind: 'response';
  response: string;
  /** the system prompt the response is checked against for a leak */
  systemPrompt: string | null;
  /** also redact the response (when its scan found anything): the project redacts PII */
  redact: boolean;
}

/** What both shares send back of a scanned text. */
interface ScannedShare {
  /** the text as scored, when it differs from the text as sent (invisible characters removed) */
  scoredText: string | null;
  scan: PiiScanData;
  /** the text with the scan's matches replaced (asked for and anything found), else null */
  redacted: string | null;
  flags: string[];
  weights: number[];
}

/** What crosses back: PromptRisk without what the request thread already holds (the prompt, the guard). */
export interface PromptShare extends ScannedShare {
  kind: 'prompt';
  injections: string[];
  modelProbability: number | null;
}

/** What crosses back: ResponseRisk without what the request thread already holds (the texts). */
export interface ResponseShare extends ScannedShare {
  kind: 'response';
}

/** How a thread stands (tests, diagnostics): its scheduling priority. */
export interface StatusTask {
  kind: 'status';
}

export interface ThreadStatus {
  kind: 'status';
  /** the thread's nice value (os.getPriority of the calling thread on Linux) */
  priority: number;
}

export type AssessmentTask = PromptTask | ResponseTask | StatusTask;
export type AssessmentShare = PromptShare | ResponseShare | ThreadStatus;

/** What every thread of a pool is given: the guard. */
export interface AssessmentWorkerData {
  guard: InjectionGuard | null;
}

const { guard } = workerData as AssessmentWorkerData;

/**
 * The share with the scan's typed arrays moved, not copied, to the request thread (a crafted
 * megabyte holds ~100k matches: a megabyte of arrays). The shared empty arrays of a scan that
 * found nothing stay (moving them would empty them for every later scan in this thread).
 */
function moved<T extends PromptShare | ResponseShare>(share: T): T {
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
  }) as unknown as T;
}

/** The scanned text's part of a share, with its redaction when asked for. */
function scannedShare(source: string, text: string, scan: PiiScan, redact: boolean) {
  return {
    scoredText: text === source ? null : text,
    scan: scanData(scan),
    redacted: redact ? (runSync(redactAheadSteps(source, text, scan)) ?? null) : null,
  };
}

function scorePrompt({ prompt, redact }: PromptTask): PromptShare {
  const share = runSync(promptRiskSteps(prompt, guard));
  const { text, scan } = share.scanned;
  return moved({
    kind: 'prompt',
    ...scannedShare(prompt, text, scan, redact),
    injections: [...share.injections],
    flags: [...share.flags],
    weights: [...share.weights],
    modelProbability: share.modelProbability,
  });
}

function scoreResponse({ response, systemPrompt, redact }: ResponseTask): ResponseShare {
  const share = runSync(responseRiskSteps(response, systemPrompt));
  const { text, scan } = share.scanned;
  return moved({
    kind: 'response',
    ...scannedShare(response, text, scan, redact),
    flags: [...share.flags],
    weights: [...share.weights],
  });
}

export default function score(task: AssessmentTask): AssessmentShare {
  if (task.kind === 'status') return { kind: 'status', priority: getPriority() };
  return task.kind === 'response' ? scoreResponse(task) : scorePrompt(task);
}
