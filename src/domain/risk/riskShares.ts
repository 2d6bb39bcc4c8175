/**
 * The two shares of a call's risk (riskScoring.ts combines them): the prompt's (injection and
 * content rules, on the text and its de-obfuscated form, the learned classifier, PII and
 * secrets, an encoded payload) and the response's (the PII it disclosed, a system prompt leak).
 * Each is a function of its own texts alone, so it can be computed apart: beside the other, on
 * a worker thread (services/ingest/assessmentWorkers.ts), or once for a prompt scored again with
 * its response (the gateway).
 */
import { normalizedVerdictSteps, type InjectionGuard } from '../guard/injectionGuard.js';
import {
  foldCaseAndSpaceSteps,
  GUARD_TEXT_LIMIT,
  guardSlice,
  lowerCaseSteps,
  normalizeForGuardSteps,
  stripInvisible,
  stripInvisibleSteps,
} from '../guard/normalize.js';
import { runSync, type Steps } from '../slices.js';
import { hasEncodedPayload } from './encodedPayload.js';
import { type Budget, scanPiiSteps, SECRET_TYPES, type PiiScan, type PiiType } from './pii.js';
import { CONTENT_RULES, INJECTION_RULES, LEAK_PHRASES } from './riskPatterns.js';
import { joinRules, matchesAnySteps, type JoinedRules, type PatternRule } from './ruleMatching.js';
import { FLAG_WEIGHTS, MODEL_WEIGHT_CAP, RESPONSE_PII_FACTOR } from './riskWeights.js';
import { leaksSystemPrompt } from './systemPromptLeak.js';

/** A text as scored (normalised: the offsets of `scan` refer to it) and its PII scan. */
export interface ScannedText {
  text: string;
  scan: PiiScan;
  /**
   * `text` with the scan's matches replaced, when it was made ahead (beside the scoring, while
   * other work was under way); redaction uses it instead of redacting again
   */
  redacted?: string;
}

/** What the prompt's and the response's shares both hold: the text, its scan and its signals. */
interface RiskShare {
  /** the text as given: the share applies to it only */
  readonly source: string;
  readonly scanned: ScannedText;
  readonly flags: readonly string[];
  readonly weights: readonly number[];
}

/**
 * The prompt's share of an assessment (its signals and their weights), a function of the
 * prompt and the guard alone: a caller that scores the same prompt again with the response
 * (the gateway: before the upstream call, then after) passes it back instead of scoring the
 * prompt twice.
 */
export interface PromptRisk extends RiskShare {
  /** the guard the prompt was scored with: the share applies to it only */
  readonly guard: InjectionGuard | null;
  readonly injections: readonly string[];
  readonly modelProbability: number | null;
}

/** The text as scored: invisible characters removed (offsets of its PII scan refer to it). */
export function normalize(text: string): string {
  return stripInvisible(text);
}

/** A flag table with each flag's rules joined (joinRules), in the table's order. */
function joinTable<F extends string>(table: Record<F, PatternRule[]>): [F, JoinedRules][] {
  return (Object.entries(table) as [F, PatternRule[]][]).map(([flag, rules]) => [flag, joinRules(rules)]);
}

const INJECTION_JOINED = joinTable(INJECTION_RULES);
const CONTENT_JOINED = joinTable(CONTENT_RULES);
/** The leak phrases with their literals: a response without any is not run through the regex. */
const LEAK_JOINED = joinRules([LEAK_PHRASES]);

/** The flags of `table` with at least one matching rule, in table order. */
export function matchingFlags<F extends string>(table: [F, JoinedRules][], text: string, lower: string): F[] {
  return runSync(matchingFlagsSteps(table, text, lower));
}

/** `matchingFlags` pausing between flags (one flag's rules are one scan of the text). */
function* matchingFlagsSteps<F extends string>(table: [F, JoinedRules][], text: string, lower: string): Steps<F[]> {
  const flags: F[] = [];
  for (const [flag, joined] of table) {
    yield;
    if (yield* matchesAnySteps(joined, text, lower)) flags.push(flag);
  }
  return flags;
}

export function piiFlag(type: PiiType): string {
  return SECRET_TYPES.includes(type) ? `secret:${type}` : `pii:${type}`;
}

/**
 * The prompt's share of an assessment (see PromptRisk). `budget`: the validator budget its PII
 * scan spends, when shared with other texts of the call (else a fresh one). `guardChars`: the
 * characters of it that are de-obfuscated for the rules and scored by the model (guardSlice);
 * 0 skips both (a chat call's older messages past the call's guard budget: chatRisk.ts).
 * Its two halves (promptPiiSteps, promptRulesSteps) read the prompt alone: a worker pool may
 * run them on two threads and join them with promptRiskOf (services/ingest/assessmentWorkers.ts).
 */
export function* promptRiskSteps(
  source: string,
  guard: InjectionGuard | null,
  budget?: Budget,
  guardChars = GUARD_TEXT_LIMIT,
): Steps<PromptRisk> {
  const prompt = yield* stripInvisibleSteps(source);
  yield;
  const pii = yield* promptPiiSteps(prompt, budget);
  const rules = yield* promptRulesSteps(prompt, guard, guardChars);
  return promptRiskOf(source, guard, pii, rules);
}

/** The PII half of a prompt's share: its scan, and whether it holds an encoded payload (which reads the scan). */
export interface PromptPii {
  scanned: ScannedText;
  encoded: boolean;
}

/** The PII half of promptRiskSteps, of the prompt as scored (`prompt`: invisible characters stripped). */
export function* promptPiiSteps(prompt: string, budget?: Budget): Steps<PromptPii> {
  const scan = yield* scanPiiSteps(prompt, budget);
  const encoded = yield* hasEncodedPayload(prompt, scan);
  return { scanned: { text: prompt, scan }, encoded };
}

/** The rules half of a prompt's share: the injection and content rules, the model's verdict. */
export interface PromptRules {
  /** injection flags of the rules, on the text and on its de-obfuscated form, in that order */
  injections: string[];
  content: string[];
  /** null: no model, or the prompt was past the guard budget */
  modelProbability: number | null;
  modelFlagged: boolean;
}

/** The rules half of promptRiskSteps, of the prompt as scored (`prompt`: invisible characters stripped). */
export function* promptRulesSteps(
  prompt: string,
  guard: InjectionGuard | null,
  guardChars = GUARD_TEXT_LIMIT,
): Steps<PromptRules> {
  const lower = yield* lowerCaseSteps(prompt);
  const injections = new Set<string>(yield* matchingFlagsSteps(INJECTION_JOINED, prompt, lower));
  // The rules again on the de-obfuscated text, when de-obfuscation changed anything but case and spacing.
  const guarded = guardSlice(prompt, guardChars);
  const looked = guardChars > 0;
  const folded = looked ? yield* normalizeForGuardSteps(guarded) : '';
  yield;
  if (looked && folded !== (yield* foldCaseAndSpaceSteps(guarded))) {
    for (const flag of yield* matchingFlagsSteps(INJECTION_JOINED, folded, folded)) injections.add(flag);
  }
  let modelProbability: number | null = null;
  let modelFlagged = false;
  if (guard && looked) {
    const verdict = yield* normalizedVerdictSteps(guard, folded);
    modelProbability = verdict.probability;
    modelFlagged = verdict.flagged;
  }
  const content = yield* matchingFlagsSteps(CONTENT_JOINED, prompt, lower);
  return { injections: [...injections], content, modelProbability, modelFlagged };
}

/** The prompt's share from its two halves (see promptRiskSteps). */
export function promptRiskOf(
  source: string,
  guard: InjectionGuard | null,
  pii: PromptPii,
  rules: PromptRules,
): PromptRisk {
  const injections = new Set(rules.injections);
  if (pii.encoded) injections.add('injection:encoded');
  let modelWeight = 0;
  if (rules.modelFlagged && rules.modelProbability !== null) {
    injections.add('injection:model');
    modelWeight = Math.min(MODEL_WEIGHT_CAP, 100 * rules.modelProbability);
  }
  const flags = [...injections, ...rules.content, ...pii.scanned.scan.types.map(piiFlag)];
  const weights: number[] = flags.map((f) => (f === 'injection:model' ? modelWeight : (FLAG_WEIGHTS[f] ?? 0)));
  return {
    source,
    guard,
    scanned: pii.scanned,
    injections: [...injections],
    flags,
    weights,
    modelProbability: rules.modelProbability,
  };
}

/**
 * The response's share of an assessment (PII it disclosed, a system prompt leak), a function of
 * the response and the system prompt alone: it can be computed beside the prompt's share, e.g.
 * while a worker thread scores the prompt (services/ingest/assessmentWorkers.ts).
 */
export interface ResponseRisk extends RiskShare {
  /** the system prompt the response was checked against: the share applies to it only */
  readonly systemPrompt: string | null;
}

/** The response's share of an assessment (see ResponseRisk). */
export function* responseRiskSteps(source: string, systemPrompt: string | null): Steps<ResponseRisk> {
  const flags: string[] = [];
  const weights: number[] = [];
  yield;
  const response = yield* stripInvisibleSteps(source);
  yield;
  const scanned = { text: response, scan: yield* scanPiiSteps(response) };
  for (const flag of scanned.scan.types.map(piiFlag)) {
    flags.push(`response:${flag}`);
    weights.push(Math.min(100, (FLAG_WEIGHTS[flag] ?? 0) * RESPONSE_PII_FACTOR));
  }
  const sys = systemPrompt ? normalize(systemPrompt) : '';
  yield;
  const responseLower = yield* lowerCaseSteps(response);
  yield;
  const leaked = yield* matchesAnySteps(LEAK_JOINED, response, responseLower);
  if (leaked || (sys && (yield* leaksSystemPrompt(response, sys, responseLower)))) {
    flags.push('response:system_prompt_leak');
    weights.push(FLAG_WEIGHTS['response:system_prompt_leak'] ?? 0);
  }
  return { source, systemPrompt, scanned, flags, weights };
}
