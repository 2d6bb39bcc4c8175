/**
 * The risk of an exchange (prompt or chat messages, response, system prompt) and what it means
 * for the call: flags, PII redaction, the decision. Large texts are scored in slices so other
 * requests get through between them.
 */
import { storedMessages, transcriptOf, type StoredMessage } from '../../domain/chat/messages.js';
import type { InjectionGuard } from '../../domain/guard/injectionGuard.js';
import {
  assessChatRiskSteps,
  SEPARATE_MESSAGE_CHARS,
  separateMessages,
  type SharedMessageParts,
} from '../../domain/risk/chatRisk.js';
import { type Decision, decide, hasPiiFinding } from '../../domain/risk/decision.js';
import { Budget, PII_CANDIDATE_LIMIT, scanPiiSteps } from '../../domain/risk/pii.js';
import { redactScanSteps } from '../../domain/risk/piiRedaction.js';
import {
  assessRiskSteps,
  type PromptRisk,
  type ResponseRisk,
  type RiskResult,
  type ScannedText,
} from '../../domain/risk/riskScoring.js';
import { runSync, type Steps } from '../../domain/slices.js';
import type { LlmCheckInput, LlmRequestInput } from '../../validators/ingestValidators.js';
import type { ProjectContext } from '../auth/keyCache.js';
import type { Enforcement } from '../incidents/remediationEnforcer.js';

/**
 * Redacts `raw` with the scan scoring made of it, so a text is scanned once. Scoring scans the
 * normalised text (NFKC, invisible characters removed): when that differs from the text as
 * sent, the offsets do not apply and the text as sent is scanned on its own.
 */
function* redactScanned(raw: string, scored: ScannedText | null, budget?: Budget): Steps<string> {
  if (scored && scored.text === raw && scored.redacted !== undefined) return scored.redacted;
  const scan = scored && scored.text === raw ? scored.scan : yield* scanPiiSteps(raw, budget);
  return (yield* redactScanSteps(raw, scan)).text;
}

/**
 * Characters (prompt or messages, response and system prompt together) above which an exchange
 * is scored in slices (domain/slices.ts), letting other requests through between them: a
 * megabyte costs up to a few hundred ms to score, which no other request should wait for.
 * Below it scoring takes well under a millisecond and runs straight through.
 */
export const SLICED_ASSESSMENT_CHARS = 64 * 1024;

/**
 * Prompts and responses from this many characters (in a sliced assessment) are scored on a
 * worker thread (assessExchangeAsync).
 */
export const WORKER_PROMPT_CHARS = SEPARATE_MESSAGE_CHARS;

/**
 * The risk of an exchange and the PII scans it was computed from: chat messages one by one with
 * their roles (domain/risk/chatRisk), a prompt as one text.
 */
function* scoreExchange(
  exchange: {
    prompt: string | null;
    response: string | null;
    model: string;
    messages: StoredMessage[] | null;
    systemPrompt: string | null;
    promptRisk?: PromptRisk | null;
    responseRisk?: ResponseRisk | null;
    messageRisks?: readonly (PromptRisk | null)[] | null;
    sharedParts?: SharedMessageParts | null;
  },
  guard: InjectionGuard | null,
): Steps<{
  risk: RiskResult;
  pii: { prompt: ScannedText | null; messages: ScannedText[]; response: ScannedText | null };
  promptRisk: PromptRisk | null;
}> {
  if (exchange.messages) {
    const { risk, pii } = yield* assessChatRiskSteps({ ...exchange, messages: exchange.messages }, guard, {
      messages: exchange.messageRisks ?? null,
      response: exchange.responseRisk ?? null,
      shared: exchange.sharedParts ?? null,
    });
    return { risk, pii: { prompt: null, messages: pii.messages, response: pii.response }, promptRisk: null };
  }
  const { risk, pii, promptRisk } = yield* assessRiskSteps({ ...exchange, prompt: promptAsSent(exchange) }, guard, {
    prompt: exchange.promptRisk ?? null,
    response: exchange.responseRisk ?? null,
  });
  return { risk, pii: { prompt: pii.prompt, messages: [], response: pii.response }, promptRisk };
}

export interface Assessment {
  risk: RiskResult;
  flags: string[];
  /** prompt, messages and response as stored (PII redacted under piiMode "redact" and "block") */
  prompt: string;
  response: string | null;
  /** the chat messages with their roles, for a call reported with messages (else null) */
  messages: StoredMessage[] | null;
  piiFound: boolean;
  piiRedacted: boolean;
  decision: Decision;
  /**
   * the prompt's share of the risk (a call scored from a prompt, not messages): pass it as the
   * exchange's `promptRisk` to score the same prompt again with a response without rescoring it
   */
  promptRisk: PromptRisk | null;
}

export type Exchange = {
  /**
   * the prompt as sent; null for a call reported with `messages` (reportedText): their transcript,
   * the stored prompt, is then built once it is known which one is stored, the messages as sent
   * or redacted (a 2 MB transcript built for nothing cost a redacted chat call 7-14 ms)
   */
  prompt: string | null;
  response: string | null;
  model: string;
  messages?: StoredMessage[] | null;
  /** the prompt's share from an earlier assessment of the same prompt (Assessment.promptRisk) */
  promptRisk?: PromptRisk | null;
  /** the response's share, computed beside the prompt's (assessExchangeAsync) */
  responseRisk?: ResponseRisk | null;
  /** chat messages: each message's prompt share by index, computed on a worker (assessExchangeAsync) */
  messageRisks?: readonly (PromptRisk | null)[] | null;
  /** chat messages: the parts of those not scored apart, computed beside the workers (assessExchangeAsync) */
  sharedParts?: SharedMessageParts | null;
};

/**
 * Risk score, PII handling and the decision for one exchange (the response may be unknown yet):
 * the one function `/llm/request`, the gateway and `/guard/check` score with. `guard` is the
 * learned injection classifier (null: rules only). In `monitor` guard mode the decision is never
 * `block` (at most `flag`, PII blocking included, and no `pii:blocked` flag); score, flags and
 * redaction are the same as under `enforce`.
 */
export function assessExchange(
  project: ProjectContext,
  policy: Enforcement,
  exchange: Exchange,
  guard: InjectionGuard | null = null,
): Assessment {
  return runSync(assessExchangeSteps(project, policy, exchange, guard));
}

export function* assessExchangeSteps(
  project: ProjectContext,
  policy: Enforcement,
  exchange: Exchange,
  guard: InjectionGuard | null,
): Steps<Assessment> {
  const chat = exchange.messages ?? null;
  const { risk, pii, promptRisk } = yield* scoreExchange(
    { ...exchange, messages: chat, systemPrompt: policy.systemPrompt },
    guard,
  );
  const flags = [...risk.flags, ...policy.flags];

  let prompt: string | null = exchange.prompt;
  let response = exchange.response;
  let messages = chat;
  const piiFound = hasPiiFinding(flags);
  // Under `redact` and under `block` alike, PII and secrets are never at rest: the stored text
  // is the redacted one (a blocked call is stored too, so its PII must not be).
  const piiRedacted = project.piiMode !== 'off' && piiFound;
  if (piiRedacted) {
    if (messages) {
      const redacted: StoredMessage[] = [];
      // A message scanned again as sent spends the budget its scoring spent: its own, or the call's.
      const apart = separateMessages(messages);
      const shared = new Budget(PII_CANDIDATE_LIMIT);
      for (const [i, m] of messages.entries()) {
        const scan = pii.messages[i] ?? null;
        redacted.push({ ...m, content: yield* redactScanned(m.content, scan, apart.has(m) ? undefined : shared) });
      }
      messages = redacted;
      // a pause point before the transcript (2 MB of messages: 5-10 ms)
      yield;
      prompt = transcriptOf(messages);
    } else {
      prompt = yield* redactScanned(promptAsSent(exchange), pii.prompt);
    }
    response = response === null ? null : yield* redactScanned(response, pii.response);
  }
  const monitor = project.guardMode === 'monitor';
  if (piiRedacted && project.piiMode === 'block' && !monitor) flags.push('pii:blocked');
  let decision = decide({ score: risk.score, threshold: policy.safetyThreshold, flags, piiMode: project.piiMode });
  if (monitor && decision === 'block') decision = 'flag';
  if (prompt === null) {
    yield;
    prompt = promptAsSent(exchange);
  }
  return { risk, flags, prompt, response, messages, piiFound, piiRedacted, decision, promptRisk };
}

/** The exchange's prompt as sent: its own, or its messages' transcript (the `prompt` column's text). */
export function promptAsSent(exchange: Pick<Exchange, 'prompt' | 'messages'>): string {
  return exchange.prompt ?? transcriptOf(exchange.messages ?? []);
}

/**
 * The prompt and messages of a reported call: a `prompt` as sent, or `messages` stored with their
 * roles, whose transcript becomes the `prompt` column (search and older clients read it) when the
 * assessment knows which text is stored (Exchange.prompt null; promptAsSent builds it).
 */
export function reportedText(
  input: Pick<LlmRequestInput | LlmCheckInput, 'prompt' | 'messages'>,
): { prompt: string; messages: null } | { prompt: null; messages: StoredMessage[] } {
  if (!input.messages) return { prompt: input.prompt ?? '', messages: null };
  return { prompt: null, messages: storedMessages(input.messages) };
}
