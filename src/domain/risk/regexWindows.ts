/**
 * Testing a rule regex on a long text a window at a time, with the same answer as one test of
 * the whole text, so that a sliced scoring can pause between windows (one pass of a rule over a
 * crafted megabyte held the event loop for tens of ms).
 *
 * Why the windows give the same answer: every attempt of a regex to match from one position
 * reads a stretch of text that starts there (its lookbehinds reach a few characters back). If
 * every attempt that starts in a window [a, b) reads nothing before a - LOOKBEHIND_CONTEXT nor
 * at or past b + reach, then testing the slice [a - LOOKBEHIND_CONTEXT, b + reach) from a finds
 * a match starting in [a, b) exactly when the whole text has one: each such attempt sees the
 * same characters in both. Matches of other windows are tested in their own window.
 *
 * `reach` is an upper bound of how far an attempt reads, from the parsed pattern
 * (`@eslint-community/regexpp`): a character or class reads 1, a sequence the sum, alternatives
 * the longest, a bounded quantifier max times its element, a lookaround its content (counted as
 * if consumed, which only overestimates). An unbounded quantifier (`\s+`, `\p{L}*`, `(?:\p{L} ){9,}`)
 * consumes a run of characters of its element's class; for the element classes the rules use
 * (RUNS) the window's stretch of text is checked to hold no run of RUN_LIMIT or more of
 * them, so each such quantifier reads fewer than RUN_LIMIT characters there. A window whose
 * stretch does hold such a run (or a pattern with anything else unbounded) is tested on the
 * whole rest of the text instead: the old cost, never a different answer.
 *
 * Only the slice [a - LOOKBEHIND_CONTEXT, b + reach) must hold no long run: an attempt that
 * started in [a, b) and read past b + reach would have read only characters of that slice
 * before, so its unbounded parts consumed runs shorter than RUN_LIMIT, and so it read less
 * than reach: a contradiction.
 */
import { RegExpParser, type AST } from '@eslint-community/regexpp';

/** Longest run of one class an unbounded quantifier may consume in a windowed test. */
export const RUN_LIMIT = 256;

/** Characters before a window its attempts' lookbehinds may read (checked per pattern). */
const LOOKBEHIND_CONTEXT = 64;

/** Characters a window starts attempts in; each window is one step of a sliced scoring. */
export const REGEX_WINDOW = 32 * 1024;

/**
 * The elements of unbounded quantifiers the rules use, each with a pattern that finds a run of
 * RUN_LIMIT characters such a quantifier could consume (a class all its characters belong to,
 * or the element itself repeated). Anything else unbounded makes a pattern unwindowed.
 */
const LETTERS_RUN = `[\\p{L}\\p{N}'’_\\-]{${RUN_LIMIT}}`;
const SPACES_RUN = `[-\\s]{${RUN_LIMIT}}`;
const RUNS: Record<string, string> = {
  '\\s': SPACES_RUN,
  '[-\\s]': SPACES_RUN,
  '\\d': LETTERS_RUN,
  '\\p{L}': LETTERS_RUN,
  "[\\p{L}\\p{N}'’_-]": LETTERS_RUN,
  // letter, space, letter, space: a run of these pairs, not any run of letters and spaces
  '(?:\\p{L} )': `(?:\\p{L} ){${RUN_LIMIT / 2}}`,
  '(?:\\\\\\s?n\\s*)': `[\\\\\\sn]{${RUN_LIMIT}}`,
};

/** A run of RUN_LIMIT characters one of the unbounded quantifiers of RUNS could consume. */
const LONG_RUN = new RegExp([...new Set(Object.values(RUNS))].join('|'), 'u');

type Node = AST.Alternative | AST.Element | AST.Pattern | AST.LookaroundAssertion;

/** Upper bound of the characters an attempt reads from its start (Infinity: unknown). */
function reachOf(node: Node, lookbehind: { max: number }): number {
  switch (node.type) {
    case 'Pattern':
    case 'Group':
    case 'CapturingGroup':
      return Math.max(0, ...node.alternatives.map((alt) => reachOf(alt, lookbehind)));
    case 'Alternative':
      return node.elements.reduce((sum, element) => sum + reachOf(element, lookbehind), 0);
    case 'Character':
    case 'CharacterSet':
    case 'CharacterClass':
    case 'ExpressionCharacterClass':
      return 1;
    case 'Quantifier': {
      if (node.max !== Infinity) return node.max * reachOf(node.element, lookbehind);
      if (RUNS[node.element.raw] === undefined) return Infinity;
      // A bounded prefix ({9,}) reads its own characters; the run itself stays under RUN_LIMIT.
      return RUN_LIMIT + node.min * reachOf(node.element, lookbehind);
    }
    case 'Assertion':
      if (node.kind === 'lookahead') return Math.max(0, ...node.alternatives.map((alt) => reachOf(alt, lookbehind)));
      if (node.kind === 'lookbehind') {
        const back = Math.max(0, ...node.alternatives.map((alt) => reachOf(alt, lookbehind)));
        lookbehind.max = Math.max(lookbehind.max, back + 1);
        return 0;
      }
      // \b reads the character before and the one at its position; ^ and $ read nothing.
      if (node.kind === 'word') lookbehind.max = Math.max(lookbehind.max, 1);
      return 1;
    default:
      return Infinity; // backreferences, anything not understood
  }
}

/** How far attempts of `re` read past their start, or null when it cannot be bounded here. */
export function regexReach(re: RegExp): number | null {
  const ast = new RegExpParser({ ecmaVersion: 2025 }).parsePattern(re.source, 0, re.source.length, {
    unicode: re.unicode,
    unicodeSets: re.unicodeSets,
  });
  const lookbehind = { max: 0 };
  const reach = reachOf(ast, lookbehind);
  if (!Number.isFinite(reach) || lookbehind.max >= LOOKBEHIND_CONTEXT) return null;
  // +1: an attempt reads the character it fails on.
  return reach + 1;
}

/** A regex ready for windowed tests: a global copy and its reach (null: always tested whole). */
export interface WindowedRegex {
  re: RegExp;
  global: RegExp;
  reach: number | null;
}

export function windowed(re: RegExp): WindowedRegex {
  const bounded = regexReach(re);
  // A reach longer than a window would make every window re-read more than itself.
  const reach = bounded !== null && bounded <= REGEX_WINDOW ? bounded : null;
  if (reach !== null) maxReach = Math.max(maxReach, reach);
  return { re, global: new RegExp(re.source, re.flags.includes('g') ? re.flags : `${re.flags}g`), reach };
}

/** Where the next window starts: REGEX_WINDOW on, moved off the middle of a surrogate pair. */
function windowEnd(text: string, a: number): number {
  const b = a + REGEX_WINDOW;
  if (b >= text.length) return text.length;
  const c = text.charCodeAt(b);
  const before = text.charCodeAt(b - 1);
  return c >= 0xdc00 && c <= 0xdfff && before >= 0xd800 && before <= 0xdbff ? b + 1 : b;
}

/** The longest reach of any windowed regex: one long-run check per window serves them all. */
let maxReach = 0;

/** Texts whose windows were checked for long runs, most recent last (a prompt, its lower case, ...). */
const checkedTexts: { text: string; windows: Map<number, boolean> }[] = [];
const CHECKED_TEXTS = 8;

/**
 * Whether the stretch of window [a, b) that any windowed regex may read holds a long run. Every
 * rule tests the same windows of the same few texts (prompt and response, each as written and
 * lower-cased), so each window of a text is checked once, not once per rule.
 */
function hasLongRunNear(text: string, a: number, b: number): boolean {
  let entry = checkedTexts.find((e) => e.text === text);
  if (!entry) {
    entry = { text, windows: new Map() };
    checkedTexts.push(entry);
    if (checkedTexts.length > CHECKED_TEXTS) checkedTexts.shift();
  }
  let found = entry.windows.get(a);
  if (found === undefined) {
    found = LONG_RUN.test(text.slice(Math.max(0, a - LOOKBEHIND_CONTEXT), Math.min(text.length, b + maxReach)));
    entry.windows.set(a, found);
  }
  return found;
}

/**
 * Whether `w.re` matches `text`, testing a window of REGEX_WINDOW start positions per step
 * (yields between windows): the same answer as `w.re.test(text)` (see the module comment).
 * The global copy's lastIndex is set right before each use, so pauses between windows cannot
 * disturb another test running meanwhile.
 */
export function* testWindowed(w: WindowedRegex, text: string): Generator<void, boolean, void> {
  if (w.reach === null || text.length <= REGEX_WINDOW + w.reach) return w.re.test(text);
  for (let a = 0; a < text.length;) {
    if (a > 0) yield;
    const b = windowEnd(text, a);
    if (hasLongRunNear(text, a, b)) {
      // An attempt here may read further than the slice: test the rest of the text as it is.
      w.global.lastIndex = a;
      return w.global.test(text);
    }
    const from = Math.max(0, a - LOOKBEHIND_CONTEXT);
    const slice = text.slice(from, Math.min(text.length, b + w.reach));
    w.global.lastIndex = a - from;
    const m = w.global.exec(slice);
    if (m && from + m.index < b) return true;
    a = b;
  }
  return false;
}
