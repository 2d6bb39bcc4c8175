/**
 * Running pattern rules (the tables are in riskPatterns.ts): one flag's rules joined into one
 * regex per case, skipped when a literal every match needs is absent (regexTriggers.ts) or a
 * rule's own necessary condition fails, and run a window at a time on long texts
 * (regexWindows.ts).
 */

import { runSync, type Steps } from '../slices.js';
import { anyLiteral, requiredLiterals } from './regexTriggers.js';
import { testWindowed, windowed, type WindowedRegex } from './regexWindows.js';

/** A rule is tested against the lower-cased text unless it is case-sensitive. */
export interface PatternRule {
  re: RegExp;
  caseSensitive: boolean;
  /**
   * A cheap necessary condition on the text the rule runs on: false means the rule cannot match,
   * so its regex is not run (for rules without literals to trigger on).
   */
  may?: (text: string) => Steps<boolean>;
}

/**
 * One flag's rules joined into at most two regexes, one run on the lower-cased text and one on
 * the text as written: `test` is true exactly when one of the rules matches, in one scan instead
 * of one per rule (about 2.7 times faster on bench:ingest's prompts). Linear rules stay linear:
 * each position tries each alternative once, as the separate scans did. No rule uses numbered
 * or named groups, so joining them changes no reference.
 */
export interface JoinedRules {
  lower: RegExp | null;
  cased: RegExp | null;
  /** the same regexes, for tests a window at a time (regexWindows.ts) */
  windowedLower: WindowedRegex | null;
  windowedCased: WindowedRegex | null;
  /**
   * Found in the lower-cased text whenever any of the rules can match (regexTriggers.ts): when
   * it is not, the rules are not run. Null when some rule gives no such literals.
   */
  triggers: RegExp | null;
  /**
   * When every rule has a necessary condition (PatternRule.may): none of them holds, none of the
   * rules can match. Run on the lower-cased text (only for groups of case-insensitive rules).
   */
  may: ((lower: string) => Steps<boolean>) | null;
}

/** One regex finding any literal of `rules` in lower-cased text, or null if a rule has none. */
function triggersOf(rules: PatternRule[]): RegExp | null {
  const literals = new Set<string>();
  for (const rule of rules) {
    const required = requiredLiterals(rule.re);
    if (required === null) return null;
    for (const literal of required) {
      // A case-sensitive rule runs on the text as written: its literals are looked for in the
      // lower-cased text, which is only sound where lower-casing maps character to character.
      if (rule.caseSensitive && !/^[\x20-\x7e]*$/.test(literal)) return null;
      literals.add(rule.caseSensitive ? literal.toLowerCase() : literal);
    }
  }
  return anyLiteral(literals);
}

export function joinRules(rules: PatternRule[], options: { triggers?: boolean } = {}): JoinedRules {
  const join = (part: PatternRule[]) =>
    part.length === 0 ? null : new RegExp(part.map((r) => `(?:${r.re.source})`).join('|'), 'u');
  const lower = join(rules.filter((r) => !r.caseSensitive));
  const cased = join(rules.filter((r) => r.caseSensitive));
  return {
    lower,
    cased,
    windowedLower: lower && windowed(lower),
    windowedCased: cased && windowed(cased),
    triggers: options.triggers === false ? null : triggersOf(rules),
    may: mayOf(rules),
  };
}

/** Whether any rule's necessary condition holds, or null when a rule has none (or is case-sensitive). */
function mayOf(rules: PatternRule[]): JoinedRules['may'] {
  const conditions = rules.map((r) => (r.caseSensitive ? undefined : r.may));
  if (conditions.length === 0 || conditions.some((c) => c === undefined)) return null;
  return function* (lower: string) {
    for (const condition of conditions) if (yield* condition!(lower)) return true;
    return false;
  };
}

/** Whether any of the joined rules matches; `lower` is `text.toLowerCase()`. */
export function matchesAny(joined: JoinedRules, text: string, lower: string): boolean {
  if (joined.triggers !== null && !joined.triggers.test(lower)) return false;
  if (joined.may !== null && !runSync(joined.may(lower))) return false;
  return (joined.lower?.test(lower) ?? false) || (joined.cased?.test(text) ?? false);
}

/**
 * `matchesAny` pausing between windows of a long text (regexWindows.ts): the same answer, with
 * the event loop let through every REGEX_WINDOW characters of each rule's scan.
 */
export function* matchesAnySteps(joined: JoinedRules, text: string, lower: string): Generator<void, boolean, void> {
  if (joined.triggers !== null && !joined.triggers.test(lower)) return false;
  if (joined.may !== null && !(yield* joined.may(lower))) return false;
  if (joined.windowedLower && (yield* testWindowed(joined.windowedLower, lower))) return true;
  return joined.windowedCased !== null && (yield* testWindowed(joined.windowedCased, text));
}

/** Tests one rule; `lower` is `text.toLowerCase()`, computed once by the caller. */
export function matchesRule(rule: PatternRule, text: string, lower: string): boolean {
  return rule.re.test(rule.caseSensitive ? text : lower);
}
