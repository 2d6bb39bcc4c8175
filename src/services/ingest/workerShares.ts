/**
 * A worker's share (assessmentWorker.ts) turned back into what the assessment reads: the
 * prompt's, the response's and the chat messages' PII halves, with their scans rebuilt over the
 * texts the request thread holds (the spans arrive as typed arrays, the redactions as text on the
 * wire). assessmentWorkers.ts posts the tasks and hands the shares here.
 */
import type { InjectionGuard } from '../../domain/guard/injectionGuard.js';
import type { StoredMessage } from '../../domain/chat/messages.js';
import type { MessagePii } from '../../domain/risk/chatRisk.js';
import { scanFromData } from '../../domain/risk/pii.js';
import { promptRiskOf, type PromptRisk, type ResponseRisk, type ScannedText } from '../../domain/risk/riskScoring.js';
import type {
  MessagesPiiShare,
  PromptPiiShare,
  PromptRulesShare,
  PromptShare,
  ResponseShare,
} from './assessmentTasks.js';
import { textFromWire, unpackTexts } from './wireText.js';

/** The scanned text of a share that `source` was sent as. */
function scannedOf(source: string, share: PromptShare | PromptPiiShare | ResponseShare): ScannedText {
  const text = share.scoredText ?? source;
  return {
    text,
    scan: scanFromData(text, share.scan),
    ...(share.redacted === null ? {} : { redacted: textFromWire(share.redacted) }),
  };
}

/** A prompt's share as riskShares.ts promptRiskSteps gives it. */
export function promptRiskFrom(prompt: string, guard: InjectionGuard | null, share: PromptShare): PromptRisk {
  return {
    source: prompt,
    guard,
    scanned: scannedOf(prompt, share),
    injections: share.injections,
    flags: share.flags,
    weights: share.weights,
    modelProbability: share.modelProbability,
  };
}

/** A prompt's share from its PII half and its rules half, scored on two threads. */
export function promptRiskFromHalves(
  prompt: string,
  guard: InjectionGuard | null,
  pii: PromptPiiShare,
  rules: PromptRulesShare,
): PromptRisk {
  const { kind: _, ...verdicts } = rules;
  return promptRiskOf(prompt, guard, { scanned: scannedOf(prompt, pii), encoded: pii.encoded }, verdicts);
}

/** A response's share as riskShares.ts responseRiskSteps gives it. */
export function responseRiskFrom(response: string, systemPrompt: string | null, share: ResponseShare): ResponseRisk {
  return {
    source: response,
    systemPrompt,
    scanned: scannedOf(response, share),
    flags: share.flags,
    weights: share.weights,
  };
}

/**
 * The PII halves of a chat call's messages, in their places (undefined for those scored apart),
 * from the share of the messages not scored apart: their spans packed in one set of typed
 * arrays, `spanEnds` marking where each message's spans end.
 */
export function messagePiiFrom(
  messages: readonly StoredMessage[],
  apart: ReadonlySet<StoredMessage>,
  share: MessagesPiiShare,
): (MessagePii | undefined)[] {
  const halves: (MessagePii | undefined)[] = [];
  const redactions = unpackTexts(share.redacted);
  let next = 0;
  for (const message of messages) {
    if (apart.has(message)) {
      halves.push(undefined);
      continue;
    }
    const i = next++;
    const from = i === 0 ? 0 : share.spanEnds[i - 1]!;
    const to = share.spanEnds[i]!;
    const { spans } = share;
    const text = share.scoredTexts[i] ?? message.content;
    const scan = scanFromData(text, {
      ...share.scans[i]!,
      spans: {
        count: to - from,
        start: spans.start.subarray(from, to),
        end: spans.end.subarray(from, to),
        type: spans.type.subarray(from, to),
        unverified: spans.unverified.subarray(from, to),
      },
    });
    const redacted = redactions[i];
    halves.push({
      scanned: { text, scan, ...(redacted === null ? {} : { redacted }) },
      encoded: share.encoded[i] === 1,
    });
  }
  return halves;
}
