/**
 * Literal strings a regex cannot match without: `requiredLiterals(/\bignore\s+(?:all|any)\b/u)`
 * is `['ignore']`, since every match contains "ignore". Risk scoring uses them to skip a flag's
 * rules on a text that contains none of their literals (an indexOf-like scan instead of some
 * seventy phrasing regexes), without changing a single answer.
 *
 * The analysis is the usual sound approximation (as in RE2's or codesearch's prefilters), over
 * the parsed pattern (`@eslint-community/regexpp`): for every node, the finite set of strings it
 * matches when that set is small (`exact`), and a set of strings one of which every match
 * contains (`required`, or null for "nothing known"). Alternation unions, concatenation
 * multiplies neighbouring exact sets, a quantifier with a minimum of zero and anything not
 * understood give "nothing known". Zero-width assertions match the empty string, so lookarounds
 * constrain nothing here, which is sound.
 */
import { RegExpParser, type AST } from '@eslint-community/regexpp';

const MAX_STRINGS = 64;
const MAX_LENGTH = 32;
const MAX_CLASS_CHARS = 8;

interface Info {
  /** every string the node can match, when there are few; null otherwise */
  exact: string[] | null;
  /** strings one of which every match contains; null when nothing is known */
  required: string[] | null;
}

const NOTHING: Info = { exact: null, required: null };
const EMPTY: Info = { exact: [''], required: null };

/**
 * Words too frequent in prompts to be worth looking for: a required set holding one counts as
 * weak, so the analysis prefers another set of the same pattern (the choice never affects
 * soundness, only how often the check lets the rules run).
 */
const COMMON = new Set(
  (
    'a an the and or but to of in on at by for from with as is are was were be been it its this that these those ' +
    'you your yours me my i we our us he she they them their not no all any some now then so just please what ' +
    'which who how can could will would should do does did have has had make made write create build code use ' +
    'say tell give get show start stop change update order question answer instead follow following self life ' +
    'want mode system user message text task tasks prompt instructions information context character role before ' +
    'above always fully completely known called und oder der die das ein eine ist sind du sie ich wir nicht als ' +
    'mit auf zu von für bitte jetzt'
  ).split(' '),
);

const COMMON_WORDS = [...COMMON];
/** A string that occurs in a common word ("star" in "start") is no better than the word. */
const isCommon = (s: string) => COMMON_WORDS.some((word) => word.includes(s.trim()));

/**
 * How selective a required set is, compared in order: its shortest string with a common one
 * counting as 1, then its shortest string, then fewer strings. Zeros for no set or one holding
 * the empty string (which every text contains).
 */
function strength(set: string[] | null): [number, number, number] {
  if (set === null || set.length === 0) return [0, 0, 0];
  let effective = Infinity;
  let shortest = Infinity;
  for (const s of set) {
    effective = Math.min(effective, isCommon(s) ? Math.min(1, s.length) : s.length);
    shortest = Math.min(shortest, s.length);
  }
  return shortest === 0 ? [0, 0, 0] : [effective, shortest, -set.length];
}

/** The more selective of two required sets (null when neither is worth anything). */
function stronger(a: string[] | null, b: string[] | null): string[] | null {
  const sa = strength(a);
  const sb = strength(b);
  const bWins = sb[0] !== sa[0] ? sb[0] > sa[0] : sb[1] !== sa[1] ? sb[1] > sa[1] : sb[2] > sa[2];
  const best = bWins ? b : a;
  return strength(best)[1] > 0 ? best : null;
}

function product(a: string[], b: string[]): string[] | null {
  if (a.length * b.length > MAX_STRINGS) return null;
  const out = new Set<string>();
  for (const x of a) {
    for (const y of b) {
      const s = x + y;
      if (s.length > MAX_LENGTH) return null;
      out.add(s);
    }
  }
  return [...out];
}

function union(sets: (string[] | null)[]): string[] | null {
  const out = new Set<string>();
  for (const set of sets) {
    if (set === null) return null;
    for (const s of set) out.add(s);
  }
  return out.size <= MAX_STRINGS ? [...out] : null;
}

/** The characters of a small, non-negated class such as `[-_ ]` or `[Yy]`. */
function classChars(node: AST.CharacterClass): string[] | null {
  if (node.negate) return null;
  const chars: string[] = [];
  for (const element of node.elements) {
    if (element.type === 'Character') chars.push(String.fromCodePoint(element.value));
    else if (element.type === 'CharacterClassRange' && element.max.value - element.min.value < MAX_CLASS_CHARS) {
      for (let c = element.min.value; c <= element.max.value; c++) chars.push(String.fromCodePoint(c));
    } else return null;
    if (chars.length > MAX_CLASS_CHARS) return null;
  }
  return chars.length > 0 ? chars : null;
}

function alternatives(alts: readonly AST.Alternative[]): Info {
  const infos = alts.map(sequence);
  return { exact: union(infos.map((i) => i.exact)), required: union(infos.map((i) => i.required)) };
}

function sequence(alt: AST.Alternative): Info {
  const infos = alt.elements.map(element);
  let required: string[] | null = null;
  for (const info of infos) required = stronger(required, info.required);
  // Runs of neighbours with known strings make longer literals ("ignore" + "\b" + ...).
  let run: string[] | null = null;
  let whole: string[] | null = [''];
  for (const info of infos) {
    whole = whole && info.exact ? product(whole, info.exact) : null;
    if (info.exact === null) {
      run = null;
      continue;
    }
    run = (run && product(run, info.exact)) ?? info.exact;
    required = stronger(required, run);
  }
  return { exact: whole, required };
}

function element(node: AST.Element): Info {
  switch (node.type) {
    case 'Character': {
      const c = String.fromCodePoint(node.value);
      return { exact: [c], required: [c] };
    }
    case 'CharacterClass': {
      const chars = classChars(node);
      return { exact: chars, required: chars };
    }
    case 'Assertion':
      return EMPTY;
    case 'Group':
    case 'CapturingGroup':
      return alternatives(node.alternatives);
    case 'Quantifier': {
      if (node.min === 0) return NOTHING;
      const inner = element(node.element);
      const required = stronger(inner.required, inner.exact);
      let exact: string[] | null = null;
      if (inner.exact && node.min === node.max && node.min <= 3) {
        exact = [''];
        for (let i = 0; i < node.min && exact; i++) exact = product(exact, inner.exact);
      }
      return { exact, required };
    }
    default:
      return NOTHING;
  }
}

const parser = new RegExpParser({ ecmaVersion: 2025 });

/**
 * Strings of which every match of `re` contains at least one, or null when the pattern gives
 * none worth checking. `re` must be a plain (not case-insensitive) pattern.
 */
export function requiredLiterals(re: RegExp): string[] | null {
  if (re.flags.includes('i')) return null;
  const pattern = parser.parsePattern(re.source, 0, re.source.length, {
    unicode: re.flags.includes('u'),
    unicodeSets: re.flags.includes('v'),
  });
  const required = alternatives(pattern.alternatives).required;
  return strength(required)[1] > 0 ? required : null;
}

const SYNTAX_CHARACTER = /[\^$\\.*+?()[\]{}|/]/g;

/** One regex matching any of `literals` taken literally (longest first), valid with the `u` flag. */
export function anyLiteral(literals: Iterable<string>): RegExp {
  const sorted = [...new Set(literals)].sort((a, b) => b.length - a.length);
  return new RegExp(sorted.map((l) => l.replace(SYNTAX_CHARACTER, '\\$&')).join('|'), 'u');
}
