/**
 * Risk of a call reported as chat messages (pure): each message is scored with its role in
 * mind. An instruction inside a user, tool or assistant message is what an injection looks like,
 * so those messages are scored as prompts (rules and the learned classifier); the system and
 * developer messages are the application's own instructions, so the same words there are not an
 * injection: they are only checked for PII and secrets. The call's score is the highest of its
 * parts (each message, the system messages' PII, the response), its flags their union.
 */
import { isInstructionRole, type StoredMessage } from '../chat/messages.js';
import type { InjectionGuard } from '../guard/injectionGuard.js';
import { GUARD_TEXT_LIMIT } from '../guard/normalize.js';
import { runSync, type Steps } from '../slices.js';
import { stripInvisibleSteps } from '../guard/normalize.js';
import { Budget, PII_CANDIDATE_LIMIT, scanPiiSteps } from './pii.js';
import { redactAheadSteps } from './piiRedaction.js';
import {
  assessRiskSteps,
  FLAG_WEIGHTS,
  normalize,
  piiFlag,
  promptPiiSteps,
  type PromptPii,
  promptRiskOf,
  type PromptRisk,
  type PromptRules,
  promptRulesSteps,
  type ResponseRisk,
  riskLevelFor,
  type RiskResult,
  type ScannedText,
} from './riskScoring.js';

export interface ChatRiskInput {
  messages: readonly StoredMessage[];
  response?: string | null;
  model?: string;
  /** the system prompt the call runs with (policy), else the system messages' text */
  systemPrompt?: string | null;
}

export interface ChatRiskAssessment {
  risk: RiskResult;
  /** each message's text as scored and its PII scan (redaction reuses them), in order */
  pii: { messages: ScannedText[]; response: ScannedText | null };
}

/**
 * Shares scored earlier or elsewhere (a worker thread: services/ingest/largeAssessment.ts) of this
 * call's texts: `messages[i]` the prompt share of message i (a user, tool or assistant message),
 * `response` the response's share checked against responseSystemPrompt(input). Each is used only
 * when it was made of the same text (and guard, and system prompt), as assessRiskSteps checks.
 */
export interface ChatKnownShares {
  messages?: readonly (PromptRisk | null | undefined)[] | null;
  response?: ResponseRisk | null;
  /** the parts of the messages not scored apart, from sharedMessagePartsSteps of the same messages and guard */
  shared?: SharedMessageParts | null;
}

/** What one message adds to a chat call's risk: its signals, and its text as scored with its PII scan. */
export interface MessagePart {
  risk: RiskResult;
  scanned: ScannedText;
}

/**
 * The parts of a call's messages that are not scored apart (undefined in the places of those that
 * are), made of these messages with this guard.
 */
export interface SharedMessageParts {
  readonly messages: readonly StoredMessage[];
  readonly guard: InjectionGuard | null;
  readonly parts: readonly (MessagePart | undefined)[];
}

/** What the response is checked against for a leak: the call's system prompt, else the system messages' text. */
export function responseSystemPrompt(input: Pick<ChatRiskInput, 'messages' | 'systemPrompt'>): string {
  return (
    input.systemPrompt ??
    input.messages
      .filter((m) => isInstructionRole(m.role))
      .map((m) => m.content)
      .join('\n\n')
  );
}

/**
 * Messages from this many characters may be scored apart (on a worker thread:
 * services/ingest/largeAssessment.ts), at most SEPARATE_MESSAGES_PER_CALL of them, the longest.
 */
export const SEPARATE_MESSAGE_CHARS = 32 * 1024;
export const SEPARATE_MESSAGES_PER_CALL = 4;

/**
 * The messages scored apart, each with a PII validator budget of its own: user, tool or
 * assistant messages of SEPARATE_MESSAGE_CHARS or more, the SEPARATE_MESSAGES_PER_CALL longest.
 * Every other message of the call spends one shared budget, in order, as the texts of one prompt
 * do: with a budget per message, a thousand 2 KB messages of phone-like numbers had every one of
 * their 180,000 candidates checked by the validator (3.7 s), where one 2 MB text checks 500.
 * Which messages these are depends on the messages only, so every way of scoring a call (at once
 * or sliced, with workers or without) gives the same result.
 */
export function separateMessages(messages: readonly StoredMessage[]): Set<StoredMessage> {
  return new Set(
    messages
      .filter((m) => !isInstructionRole(m.role) && m.content.length >= SEPARATE_MESSAGE_CHARS)
      .sort((a, b) => b.content.length - a.content.length)
      .slice(0, SEPARATE_MESSAGES_PER_CALL),
  );
}

/**
 * Characters of a call's other messages (the ones not scored apart) that are de-obfuscated for
 * the rules and scored by the learned classifier, together: as many as one long prompt gets
 * (GUARD_TEXT_LIMIT). The newest messages get them first: the live turn is where an injection
 * arrives, and a long chat's older turns were scored when they were new. Each message's rules
 * and PII scan still see every character.
 */
export const CHAT_GUARD_CHARS = GUARD_TEXT_LIMIT;

/**
 * For each message, the characters of it the guard looks at (promptRiskSteps' `guardChars`):
 * GUARD_TEXT_LIMIT for a message scored apart, else a share of CHAT_GUARD_CHARS handed out from
 * the newest message back, 0 once it is spent (system and developer messages, which the guard
 * never reads, take none). A function of the messages alone, as separateMessages is. Before
 * 2026-12-06 every message had a guard of its own: a thousand 2 KB messages had 2 MB classified,
 * about half of the call's scoring.
 */
export function guardCharsOf(messages: readonly StoredMessage[], apart: ReadonlySet<StoredMessage>): number[] {
  const chars = new Array<number>(messages.length).fill(0);
  let left = CHAT_GUARD_CHARS;
  for (let i = messages.length - 1; i >= 0; i--) {
    const m = messages[i]!;
    if (isInstructionRole(m.role)) continue;
    if (apart.has(m)) {
      chars[i] = GUARD_TEXT_LIMIT;
      continue;
    }
    chars[i] = Math.min(left, GUARD_TEXT_LIMIT);
    left -= Math.min(left, m.content.length);
  }
  return chars;
}

/** Independent evidence, as riskScoring combines weights. */
const combine = (weights: number[]) => Math.round(100 * (1 - weights.reduce((rest, w) => rest * (1 - w / 100), 1)));

/**
 * The PII half of a message's part: its text as scored (invisible characters removed), its scan,
 * the redaction made ahead, and (a user, tool or assistant message) whether it holds an encoded
 * payload, which reads the scan.
 */
export type MessagePii = PromptPii;

/**
 * The PII halves of the messages not scored apart (separateMessages), in order, spending one
 * shared PII budget (undefined in the places of those scored apart). `redact`: each text's
 * redaction is made ahead too, when its scan applies to the text as sent and found anything
 * (redaction then uses it). A function of the messages alone: a caller can compute it on a
 * worker thread (services/ingest/largeAssessment.ts) while the rules halves are scored, sending only
 * the messages not scored apart with `apart` empty.
 */
export function* sharedMessagePiiSteps(
  messages: readonly StoredMessage[],
  redact = false,
  apart: ReadonlySet<StoredMessage> = separateMessages(messages),
): Steps<(MessagePii | undefined)[]> {
  const shared = new Budget(PII_CANDIDATE_LIMIT);
  const halves: (MessagePii | undefined)[] = [];
  for (const message of messages) {
    if (apart.has(message)) {
      halves.push(undefined);
      continue;
    }
    const text = normalize(message.content);
    let half: MessagePii;
    if (isInstructionRole(message.role)) {
      half = { scanned: { text, scan: yield* scanPiiSteps(text, shared) }, encoded: false };
    } else {
      yield;
      half = yield* promptPiiSteps(text, shared);
    }
    if (redact) {
      const ahead = yield* redactAheadSteps(message.content, half.scanned.text, half.scanned.scan);
      if (ahead !== undefined) half.scanned.redacted = ahead;
    }
    halves.push(half);
  }
  return halves;
}

/**
 * The rules halves of the user, tool and assistant messages not scored apart (undefined in the
 * places of the others): the injection and content rules and the model, each message with its
 * share of the guard (guardCharsOf). Independent of the PII halves.
 */
export function* sharedMessageRulesSteps(
  messages: readonly StoredMessage[],
  guard: InjectionGuard | null,
): Steps<(PromptRules | undefined)[]> {
  const apart = separateMessages(messages);
  const guardChars = guardCharsOf(messages, apart);
  const halves: (PromptRules | undefined)[] = [];
  for (const [i, message] of messages.entries()) {
    if (apart.has(message) || isInstructionRole(message.role)) {
      halves.push(undefined);
      continue;
    }
    const text = yield* stripInvisibleSteps(message.content);
    halves.push(yield* promptRulesSteps(text, guard, guardChars[i]));
  }
  return halves;
}

/**
 * The parts of the messages not scored apart (separateMessages), in order, spending one shared PII
 * budget: the system and developer messages' PII, and each other message scored as a prompt with
 * its share of the guard (guardCharsOf). They depend on none of the messages scored apart nor on
 * the response, so a caller can compute them while those are scored elsewhere (on worker threads:
 * services/ingest/largeAssessment.ts) and pass them in (ChatKnownShares.shared). `redact`: each text's
 * redaction is made ahead too (sharedMessagePiiSteps). The two halves of each part, its PII and
 * its rules, can also be computed apart and joined (joinMessageParts).
 */
export function* sharedMessagePartsSteps(
  input: Pick<ChatRiskInput, 'messages' | 'model'>,
  guard: InjectionGuard | null,
  redact = false,
): Steps<SharedMessageParts> {
  const pii = yield* sharedMessagePiiSteps(input.messages, redact);
  const rules = yield* sharedMessageRulesSteps(input.messages, guard);
  return yield* joinMessageParts(input, guard, pii, rules);
}

/**
 * The parts of the messages not scored apart from their two halves (sharedMessagePiiSteps and
 * sharedMessageRulesSteps of the same messages and guard): what sharedMessagePartsSteps gives.
 */
export function* joinMessageParts(
  input: Pick<ChatRiskInput, 'messages' | 'model'>,
  guard: InjectionGuard | null,
  pii: readonly (MessagePii | undefined)[],
  rules: readonly (PromptRules | undefined)[],
): Steps<SharedMessageParts> {
  const parts: (MessagePart | undefined)[] = [];
  for (const [i, message] of input.messages.entries()) {
    const half = pii[i];
    if (!half) {
      parts.push(undefined);
      continue;
    }
    const ruled = rules[i];
    if (!ruled) {
      // a system or developer message: its PII only
      const piiFlags = half.scanned.scan.types.map(piiFlag);
      const score = combine(piiFlags.map((f) => FLAG_WEIGHTS[f] ?? 0));
      const risk = { score, level: riskLevelFor(score), flags: piiFlags, modelProbability: null };
      parts.push({ risk, scanned: half.scanned });
      continue;
    }
    const prompt = promptRiskOf(message.content, guard, half, ruled);
    const { risk, pii: scanned } = yield* assessRiskSteps({ prompt: message.content, model: input.model }, guard, {
      prompt,
    });
    parts.push({ risk, scanned: scanned.prompt });
  }
  return { messages: input.messages, guard, parts };
}

/** Scores a chat call message by message (see the module comment). */
export function assessChatRisk(input: ChatRiskInput, guard?: InjectionGuard | null): ChatRiskAssessment {
  return runSync(assessChatRiskSteps(input, guard));
}

/** `assessChatRisk` as pausable steps (domain/slices.ts). */
export function* assessChatRiskSteps(
  input: ChatRiskInput,
  guard?: InjectionGuard | null,
  known?: ChatKnownShares | null,
): Steps<ChatRiskAssessment> {
  const flags = new Set<string>();
  const scans: ScannedText[] = [];
  let score = 0;
  let modelProbability: number | null = null;
  const knownShared = known?.shared;
  const { parts } =
    knownShared && knownShared.messages === input.messages && knownShared.guard === (guard ?? null)
      ? knownShared
      : yield* sharedMessagePartsSteps(input, guard ?? null);
  for (const [i, message] of input.messages.entries()) {
    let part = parts[i];
    if (!part) {
      // scored apart: a PII budget and a guard slice of its own
      const { risk, pii } = yield* assessRiskSteps({ prompt: message.content, model: input.model }, guard, {
        prompt: known?.messages?.[i] ?? null,
      });
      part = { risk, scanned: pii.prompt };
    }
    const { risk, scanned } = part;
    scans.push(scanned);
    risk.flags.forEach((f) => flags.add(f));
    score = Math.max(score, risk.score);
    if (risk.modelProbability !== null) modelProbability = Math.max(modelProbability ?? 0, risk.modelProbability);
  }
  let response: ScannedText | null = null;
  if (input.response) {
    const systemPrompt = responseSystemPrompt(input);
    // Only the response's own signals (PII it disclosed, a system prompt leak): an empty prompt adds none.
    const answer = yield* assessRiskSteps(
      { prompt: '', response: input.response, model: input.model, systemPrompt },
      null,
      { response: known?.response ?? null },
    );
    response = answer.pii.response;
    answer.risk.flags.forEach((f) => flags.add(f));
    score = Math.max(score, answer.risk.score);
  }
  return {
    risk: { score, level: riskLevelFor(score), flags: [...flags], modelProbability },
    pii: { messages: scans, response },
  };
}
