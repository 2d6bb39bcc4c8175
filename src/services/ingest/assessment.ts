/**
 * The risk of an exchange (prompt or chat messages, response, system prompt) and what it means
 * for the call: flags, PII redaction, the decision. Large texts are scored in slices so other
 * requests get through between them.
 */
import { storedMessages, transcriptOf, type StoredMessage } from '../../domain/chat/messages.js';
import type { InjectionGuard } from '../../domain/guard/injectionGuard.js';
import {
  assessChatRiskSteps,
  responseSystemPrompt,
  SEPARATE_MESSAGE_CHARS,
  SEPARATE_MESSAGES_PER_CALL,
  separateMessages,
  joinMessageParts,
  type MessagePii,
  type SharedMessageParts,
  sharedMessagePartsSteps,
  sharedMessagePiiSteps,
  sharedMessageRulesSteps,
} from '../../domain/risk/chatRisk.js';
import { type Decision, decide, hasPiiFinding } from '../../domain/risk/decision.js';
import { Budget, PII_CANDIDATE_LIMIT, scanPiiSteps } from '../../domain/risk/pii.js';
import { redactAheadSteps, redactScanSteps } from '../../domain/risk/piiRedaction.js';
import {
  assessRiskSteps,
  type PromptRisk,
  type ResponseRisk,
  responseRiskSteps,
  type RiskResult,
  type ScannedText,
} from '../../domain/risk/riskScoring.js';
import { pause, runSliced, runSync, type Steps } from '../../domain/slices.js';
import type { LlmCheckInput, LlmRequestInput } from '../../validators/ingestValidators.js';
import type { ProjectContext } from '../auth/keyCache.js';
import type { Enforcement } from '../incidents/remediationEnforcer.js';
import { assessmentWorkersFor } from './assessmentWorkers.js';
import { trackHeavyWork } from './heavyWork.js';

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
    prompt: string;
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
  const { risk, pii, promptRisk } = yield* assessRiskSteps(exchange, guard, {
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

type Exchange = {
  prompt: string;
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

/**
 * `assessExchange` for the request paths: the same assessment, computed in slices that let the
 * event loop through when the texts exceed SLICED_ASSESSMENT_CHARS, else straight through. A
 * prompt, a chat message (a user, tool or assistant one) and a response of WORKER_PROMPT_CHARS or
 * more are each scored on a worker thread (assessmentWorkers.ts), shorter ones here meanwhile;
 * the rest, the decision and the redaction of what is left, runs here as before.
 */
export async function assessExchangeAsync(
  project: ProjectContext,
  policy: Enforcement,
  exchange: Exchange,
  guard: InjectionGuard | null = null,
): Promise<Assessment> {
  let size = exchange.prompt.length + (exchange.response?.length ?? 0) + (policy.systemPrompt?.length ?? 0);
  for (const m of exchange.messages ?? []) size += m.content.length;
  if (size <= SLICED_ASSESSMENT_CHARS) return runSync(assessExchangeSteps(project, policy, exchange, guard));
  return trackHeavyWork(assessLarge(project, policy, exchange, guard));
}

async function assessLarge(
  project: ProjectContext,
  policy: Enforcement,
  exchange: Exchange,
  guard: InjectionGuard | null,
): Promise<Assessment> {
  // In a turn of its own: the body's parsing, its validation, the messages' transcript and the
  // admission ran in one turn already (a thousand messages: 15-25 ms), and posting the texts to
  // the workers takes 1-9 ms more.
  await pause();
  const known = exchange.promptRisk;
  const promptKnown = known && known.source === exchange.prompt && known.guard === guard;
  const { response } = exchange;
  const promptOnWorker = !promptKnown && exchange.prompt.length >= WORKER_PROMPT_CHARS;
  const responseOnWorker = response !== null && response.length >= WORKER_PROMPT_CHARS;
  if (exchange.messages) return assessLargeChat(project, policy, { ...exchange, messages: exchange.messages }, guard);
  if (!promptOnWorker && !responseOnWorker) return runSliced(assessExchangeSteps(project, policy, exchange, guard));
  const redact = project.piiMode !== 'off';
  const systemPrompt = policy.systemPrompt ?? null;
  const workers = assessmentWorkersFor(guard);
  // Both posted at once, each to a thread of its own when the pool has two. The workers'
  // promises never reject (null: this thread scores that share itself).
  const promptShare = promptOnWorker ? workers.promptRisk(exchange.prompt, redact) : null;
  const responseShare = responseOnWorker ? workers.responseRisk(response, systemPrompt, redact) : null;
  let responseRisk = await responseShare;
  if (response && !responseRisk) {
    // A short response (or no worker): scored here, sliced, while the prompt's worker is busy.
    responseRisk = await runSliced(responseRiskSteps(response, systemPrompt));
    const { scanned } = responseRisk;
    // Redacted now: PII in the response is redacted whatever the prompt held.
    const ahead = redact ? await runSliced(redactAheadSteps(response, scanned.text, scanned.scan)) : undefined;
    if (ahead !== undefined) scanned.redacted = ahead;
  }
  // An earlier share of another prompt or guard is ignored by assessRiskSteps, which checks both.
  const promptRisk = (await promptShare) ?? known ?? null;
  return runSliced(assessExchangeSteps(project, policy, { ...exchange, promptRisk, responseRisk }, guard));
}

/**
 * The chat messages of one call posted to the workers, at most (the longest ones): a call of
 * sixty 33K-character messages would otherwise fill the pool's queue (64 tasks a thread) ahead of
 * every other call's shares. The rest are scored on the request thread, sliced. These are the
 * messages chatRisk scores apart, each with a PII budget of its own (separateMessages).
 */
export const WORKER_MESSAGES_PER_CALL = SEPARATE_MESSAGES_PER_CALL;

/**
 * A large exchange reported as chat messages: each user, tool or assistant message of
 * WORKER_PROMPT_CHARS or more (the WORKER_MESSAGES_PER_CALL longest) is posted to the workers as
 * a prompt, and the response as a response checked against what chatRisk checks it against
 * (responseSystemPrompt), all at once; meanwhile the other messages (shorter ones, system
 * messages' PII) are scored here, sliced (sharedMessagePartsSteps), and then the decision with all
 * of them known. Earlier on 2026-12-06 the other messages waited for the workers' shares: a call
 * of a thousand 2 KB messages scored them here for 100-190 ms after its response's worker
 * finished. Before that a call with messages was scored here whole: 2 MB of crafted
 * messages with a 1 MB response took 200-400 ms on the request thread.
 */
async function assessLargeChat(
  project: ProjectContext,
  policy: Enforcement,
  exchange: Exchange & { messages: StoredMessage[] },
  guard: InjectionGuard | null,
): Promise<Assessment> {
  const { messages, response } = exchange;
  const redact = project.piiMode !== 'off';
  const workers = assessmentWorkersFor(guard);
  const posted = separateMessages(messages);
  const messageShares = messages.map((m) => (posted.has(m) ? workers.promptRisk(m.content, redact) : null));
  const systemPrompt = responseSystemPrompt({ messages, systemPrompt: policy.systemPrompt ?? null });
  const responseShare =
    response !== null && response.length >= WORKER_PROMPT_CHARS
      ? workers.responseRisk(response, systemPrompt, redact)
      : null;
  // Meanwhile the other messages are scored here, their PII halves on a worker when they are long
  // together (the workers' promises never reject: null, and that share is scored here afterwards).
  let sharedChars = 0;
  for (const m of messages) if (!posted.has(m)) sharedChars += m.content.length;
  const sharedParts =
    sharedChars >= WORKER_PROMPT_CHARS
      ? sharedPartsBeside(exchange, guard, redact, workers.messagesPii(messages, redact))
      : runSliced(sharedMessagePartsSteps(exchange, guard, redact));
  const [shared, messageRisks, responseRisk] = await Promise.all([
    sharedParts,
    Promise.all(messageShares),
    responseShare,
  ]);
  return runSliced(
    assessExchangeSteps(project, policy, { ...exchange, messageRisks, responseRisk, sharedParts: shared }, guard),
  );
}

/**
 * The parts of a chat call's messages not scored apart, their PII halves from a worker (`pii`) and
 * their rules halves scored here meanwhile (sliced), then joined. A thousand 2 KB messages of
 * phone-like numbers: PII halves 80-90 ms, rules halves about 20 (in process), all on the request
 * thread until 2026-12-06.
 */
async function sharedPartsBeside(
  exchange: { messages: StoredMessage[]; model: string },
  guard: InjectionGuard | null,
  redact: boolean,
  pii: Promise<(MessagePii | undefined)[] | null>,
): Promise<SharedMessageParts> {
  // the first slice in a turn after the one that posted the PII halves (serialising a thousand messages: 1-9 ms)
  await pause();
  const [rules, halves] = await Promise.all([runSliced(sharedMessageRulesSteps(exchange.messages, guard)), pii]);
  const known = halves ?? (await runSliced(sharedMessagePiiSteps(exchange.messages, redact)));
  return runSliced(joinMessageParts(exchange, guard, known, rules));
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

  let prompt = exchange.prompt;
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
      prompt = transcriptOf(messages);
    } else {
      prompt = yield* redactScanned(prompt, pii.prompt);
    }
    response = response === null ? null : yield* redactScanned(response, pii.response);
  }
  const monitor = project.guardMode === 'monitor';
  if (piiRedacted && project.piiMode === 'block' && !monitor) flags.push('pii:blocked');
  let decision = decide({ score: risk.score, threshold: policy.safetyThreshold, flags, piiMode: project.piiMode });
  if (monitor && decision === 'block') decision = 'flag';
  return { risk, flags, prompt, response, messages, piiFound, piiRedacted, decision, promptRisk };
}

/**
 * The prompt and messages of a reported call: a `prompt` as sent, or `messages` stored with their
 * roles and flattened to a transcript for the `prompt` column (search and older clients read it).
 */
export function reportedText(input: Pick<LlmRequestInput | LlmCheckInput, 'prompt' | 'messages'>): {
  prompt: string;
  messages: StoredMessage[] | null;
} {
  if (!input.messages) return { prompt: input.prompt ?? '', messages: null };
  const messages = storedMessages(input.messages);
  return { prompt: transcriptOf(messages), messages };
}
