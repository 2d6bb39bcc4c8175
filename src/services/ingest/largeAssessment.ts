/**
 * The assessment of a large exchange as the request paths run it (assessExchangeAsync): sliced
 * on the request thread, with the long texts' shares on the worker threads
 * (assessmentWorkers.ts). The assessment itself, and its result, are assessment.ts's.
 */
import type { StoredMessage } from '../../domain/chat/messages.js';
import type { InjectionGuard } from '../../domain/guard/injectionGuard.js';
import {
  joinMessageParts,
  type MessagePii,
  responseSystemPrompt,
  SEPARATE_MESSAGES_PER_CALL,
  separateMessages,
  type SharedMessageParts,
  sharedMessagePartsSteps,
  sharedMessagePiiSteps,
  sharedMessageRulesSteps,
} from '../../domain/risk/chatRisk.js';
import { redactAheadSteps } from '../../domain/risk/piiRedaction.js';
import { responseRiskSteps } from '../../domain/risk/riskScoring.js';
import { pause, runSliced, runSync } from '../../domain/slices.js';
import type { ProjectContext } from '../auth/keyCache.js';
import type { Enforcement } from '../incidents/remediationEnforcer.js';
import {
  type Assessment,
  assessExchangeSteps,
  type Exchange,
  promptAsSent,
  SLICED_ASSESSMENT_CHARS,
  WORKER_PROMPT_CHARS,
} from './assessment.js';
import { assessmentWorkersFor } from './assessmentWorkers.js';
import { trackHeavyWork } from './heavyWork.js';

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
  let size = (exchange.prompt?.length ?? 0) + (exchange.response?.length ?? 0) + (policy.systemPrompt?.length ?? 0);
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
  if (exchange.messages) return assessLargeChat(project, policy, { ...exchange, messages: exchange.messages }, guard);
  const prompt = promptAsSent(exchange);
  const known = exchange.promptRisk;
  const promptKnown = known && known.source === prompt && known.guard === guard;
  const { response } = exchange;
  const promptOnWorker = !promptKnown && prompt.length >= WORKER_PROMPT_CHARS;
  const responseOnWorker = response !== null && response.length >= WORKER_PROMPT_CHARS;
  if (!promptOnWorker && !responseOnWorker) return runSliced(assessExchangeSteps(project, policy, exchange, guard));
  const redact = project.piiMode !== 'off';
  const systemPrompt = policy.systemPrompt ?? null;
  const workers = assessmentWorkersFor(guard);
  // Both posted at once, each to a thread of its own when the pool has two. The workers'
  // promises never reject (null: this thread scores that share itself).
  const promptShare = promptOnWorker ? workers.promptRisk(prompt, redact) : null;
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
      ? sharedPartsBeside(exchange, guard, redact, workers.messagesPii(messages, redact, posted))
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
