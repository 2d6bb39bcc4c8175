/**
 * Runs in a worker thread (assessmentWorkers.ts): the prompt's or the response's share of a
 * large exchange's assessment, or one half of a very large prompt's share, the same code the
 * request thread runs (riskShares.ts promptRiskSteps or its halves, responseRiskSteps, and
 * chatRisk.ts sharedMessagePiiSteps for a chat call's many messages), straight through. The
 * tasks and shares are assessmentTasks.ts's. The guard arrives once per thread as worker data (a
 * plain object: the model's parameters and weights).
 */
import { getPriority } from 'node:os';
import { move, transferableSymbol, valueSymbol, workerData } from 'piscina';
import type { StoredMessage } from '../../domain/chat/messages.js';
import { sharedMessagePiiSteps } from '../../domain/risk/chatRisk.js';
import { scanData, type PiiScan, type PiiSpans } from '../../domain/risk/pii.js';
import { redactAheadSteps, redactLatin1Steps } from '../../domain/risk/piiRedaction.js';
import { isLatin1 } from '../../utils/latin1.js';
import { stripInvisibleSteps } from '../../domain/guard/normalize.js';
import { promptPiiSteps, promptRiskSteps, promptRulesSteps, responseRiskSteps } from '../../domain/risk/riskScoring.js';
import { runSync } from '../../domain/slices.js';
import type {
  AssessmentShare,
  AssessmentTask,
  AssessmentWorkerData,
  MessagesPiiShare,
  MessagesPiiTask,
  PromptPiiShare,
  PromptPiiTask,
  PromptRulesShare,
  PromptRulesTask,
  PromptShare,
  PromptTask,
  ResponseShare,
  ResponseTask,
  ScannedPart,
} from './assessmentTasks.js';
import {
  packTexts,
  packTransferables,
  type TextOnWire,
  textFromWire,
  textToWire,
  transferablesOf,
  unpackTexts,
  WIRE_TEXT_CHARS,
  wireOf,
} from './wireText.js';

const { guard } = workerData as AssessmentWorkerData;

/**
 * The share with the scan's typed arrays moved, not copied, to the request thread (a crafted
 * megabyte holds ~100k matches: a megabyte of arrays). The shared empty arrays of a scan that
 * found nothing stay (moving them would empty them for every later scan in this thread).
 */
function moved<T extends ScannedPart>(share: T): T {
  const { start, end, type, unverified } = share.scan.spans;
  return withMoved(share, [
    start.buffer,
    end.buffer,
    type.buffer,
    unverified.buffer,
    ...transferablesOf(share.redacted),
  ]);
}

/**
 * `value` to post with these buffers moved, not copied (the empty ones, shared, stay). A buffer
 * named twice is moved once: a scan's four arrays are views of one (pii.ts spansFor).
 */
function withMoved<T extends object>(value: T, buffers: ArrayBufferLike[]): T {
  const moving = [...new Set(buffers)].filter((b) => b.byteLength > 0);
  if (moving.length === 0) return value;
  return move({
    get [transferableSymbol]() {
      return moving;
    },
    get [valueSymbol]() {
      return value;
    },
  }) as unknown as T;
}

/** The scanned text's part of a share, with its redaction when asked for. */
function scannedShare(source: string, text: string, scan: PiiScan, redact: boolean) {
  return {
    scoredText: text === source ? null : text,
    scan: scanData(scan),
    redacted: redact ? redactedOnWire(source, text, scan) : null,
  };
}

/**
 * The redaction of `source` as redactAheadSteps makes it (null: nothing to redact, or the scan
 * does not apply to the text as sent), ready to cross: a long Latin-1 text is redacted straight
 * into the bytes that cross, never made into a string on this thread.
 */
function redactedOnWire(source: string, scannedText: string, scan: PiiScan): TextOnWire | null {
  if (scannedText !== source || scan.spans.count === 0) return null;
  if (source.length >= WIRE_TEXT_CHARS && isLatin1(source)) {
    return wireOf('latin1', runSync(redactLatin1Steps(source, scan.spans)).bytes);
  }
  const redacted = runSync(redactAheadSteps(source, scannedText, scan));
  return redacted === undefined ? null : textToWire(redacted);
}

function scorePrompt(task: PromptTask): PromptShare {
  const prompt = textFromWire(task.prompt);
  const { redact } = task;
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

function scoreResponse(task: ResponseTask): ResponseShare {
  const response = textFromWire(task.response);
  const { systemPrompt, redact } = task;
  const share = runSync(responseRiskSteps(response, systemPrompt));
  const { text, scan } = share.scanned;
  return moved({
    kind: 'response',
    ...scannedShare(response, text, scan, redact),
    flags: [...share.flags],
    weights: [...share.weights],
  });
}

function scorePromptPii(task: PromptPiiTask): PromptPiiShare {
  const prompt = textFromWire(task.prompt);
  const { redact } = task;
  const pii = runSync(promptPiiSteps(runSync(stripInvisibleSteps(prompt))));
  const { text, scan } = pii.scanned;
  return moved({ kind: 'promptPii', ...scannedShare(prompt, text, scan, redact), encoded: pii.encoded });
}

function scorePromptRules(task: PromptRulesTask): PromptRulesShare {
  const prompt = textFromWire(task.prompt);
  return { kind: 'promptRules', ...runSync(promptRulesSteps(runSync(stripInvisibleSteps(prompt)), guard)) };
}

function scoreMessagesPii({ roles, contents, redact }: MessagesPiiTask): MessagesPiiShare {
  const texts = unpackTexts(contents);
  const messages: StoredMessage[] = roles.map((role, i) => ({ role, content: texts[i]! }));
  const halves = runSync(sharedMessagePiiSteps(messages, redact, new Set()));
  let total = 0;
  for (const half of halves) total += half!.scanned.scan.spans.count;
  const spans: PiiSpans = {
    count: total,
    start: new Int32Array(total),
    end: new Int32Array(total),
    type: new Uint8Array(total),
    unverified: new Uint8Array(total),
  };
  const spanEnds = new Int32Array(halves.length);
  let at = 0;
  for (const [i, half] of halves.entries()) {
    const { count, start, end, type, unverified } = half!.scanned.scan.spans;
    spans.start.set(start.subarray(0, count), at);
    spans.end.set(end.subarray(0, count), at);
    spans.type.set(type.subarray(0, count), at);
    spans.unverified.set(unverified.subarray(0, count), at);
    at += count;
    spanEnds[i] = at;
  }
  const share: MessagesPiiShare = {
    kind: 'messagesPii',
    scoredTexts: halves.map((h, i) => (h!.scanned.text === messages[i]!.content ? null : h!.scanned.text)),
    spans,
    spanEnds,
    scans: halves.map((h) => {
      const { types, checked, saturated } = h!.scanned.scan;
      return { types, checked, saturated };
    }),
    redacted: packTexts(halves.map((h) => h!.scanned.redacted ?? null)),
    encoded: Uint8Array.from(halves, (h) => (h!.encoded ? 1 : 0)),
  };
  return withMoved(share, [
    spans.start.buffer,
    spans.end.buffer,
    spans.type.buffer,
    spans.unverified.buffer,
    spanEnds.buffer,
    ...packTransferables(share.redacted),
  ]);
}

export default function score(task: AssessmentTask): AssessmentShare {
  switch (task.kind) {
    case 'messagesPii':
      return scoreMessagesPii(task);
    case 'status':
      return { kind: 'status', priority: getPriority() };
    case 'response':
      return scoreResponse(task);
    case 'promptPii':
      return scorePromptPii(task);
    case 'promptRules':
      return scorePromptRules(task);
    default:
      return scorePrompt(task);
  }
}
