/**
 * What crosses between the request thread and the assessment's worker threads: the tasks
 * assessmentWorkers.ts posts, and the shares assessmentWorker.ts answers with (workerShares.ts
 * turns them back into what the assessment reads). Long texts cross as bytes (wireText.ts).
 */
import type { InjectionGuard } from '../../domain/guard/injectionGuard.js';
import type { PiiScanData, PiiSpans } from '../../domain/risk/pii.js';
import type { PromptRules } from '../../domain/risk/riskScoring.js';
import type { PackedTexts, TextOnWire } from './wireText.js';

/** A task's texts cross as bytes when long (wireText.ts). */
export interface PromptTask {
  kind: 'prompt';
  prompt: TextOnWire;
  /** also redact the prompt (when its scan found anything): the project redacts PII */
  redact: boolean;
}

/** One half of a large prompt's share (riskShares.ts promptPiiSteps, promptRulesSteps), the other on another thread. */
export interface PromptPiiTask {
  kind: 'promptPii';
  prompt: TextOnWire;
  redact: boolean;
}

export interface PromptRulesTask {
  kind: 'promptRules';
  prompt: TextOnWire;
}

export interface ResponseTask {
  kind: 'response';
  response: TextOnWire;
  /** the system prompt the response is checked against for a leak */
  systemPrompt: string | null;
  /** also redact the response (when its scan found anything): the project redacts PII */
  redact: boolean;
}

/** What a share sends back of a scanned text. */
export interface ScannedPart {
  /** the text as scored, when it differs from the text as sent (invisible characters removed) */
  scoredText: string | null;
  scan: PiiScanData;
  /** the text with the scan's matches replaced (asked for and anything found), else null; bytes when long */
  redacted: TextOnWire | null;
}

interface ScannedShare extends ScannedPart {
  flags: string[];
  weights: number[];
}

/** The PII half of a prompt's share. */
export interface PromptPiiShare extends ScannedPart {
  kind: 'promptPii';
  encoded: boolean;
}

/** The rules half of a prompt's share. */
export interface PromptRulesShare extends PromptRules {
  kind: 'promptRules';
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

/**
 * The PII halves of a chat call's messages not scored apart (chatRisk.ts sharedMessagePiiSteps),
 * in order, one shared budget: the request thread scores their rules halves meanwhile. The
 * contents cross packed into one text (wireText.ts PackedTexts), and so do their redactions back.
 */
export interface MessagesPiiTask {
  kind: 'messagesPii';
  /** each message's role, its content in `contents` */
  roles: string[];
  contents: PackedTexts;
  redact: boolean;
}

/**
 * What crosses back of MessagesPiiTask, message i at index i: the scans' spans packed into one
 * set of arrays (message i's are entries spanEnds[i - 1] to spanEnds[i]), the rest per message.
 */
export interface MessagesPiiShare {
  kind: 'messagesPii';
  /** the text as scored, when it differs from the message as sent */
  scoredTexts: (string | null)[];
  spans: PiiSpans;
  spanEnds: Int32Array;
  scans: Omit<PiiScanData, 'spans'>[];
  /** each message's redaction (null: none) */
  redacted: PackedTexts;
  encoded: Uint8Array;
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

export type AssessmentTask = PromptTask | PromptPiiTask | PromptRulesTask | ResponseTask | MessagesPiiTask | StatusTask;
export type AssessmentShare =
  PromptShare | PromptPiiShare | PromptRulesShare | ResponseShare | MessagesPiiShare | ThreadStatus;

/** What every thread of a pool is given: the guard. */
export interface AssessmentWorkerData {
  guard: InjectionGuard | null;
}
