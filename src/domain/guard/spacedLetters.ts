/**
 * Step 4 of the guard's normalisation (normalize.ts): letters spaced out to dodge the rules
 * ("i g n o r e", "i.g.n.o.r.e") joined back into words.
 */
import type { Steps } from '../slices.js';
import { PASS_CHUNK } from './textChunks.js';

/**
 * Joins runs of at least three single letters separated by single spaces ("i g n o r e").
 * Two or more spaces (or other punctuation) between letters mark the end of a spaced word.
 *
 * The runs are what /(?<![\p{L}\p{N}])(?:[\p{L}\p{N}@$][ .\-_*]){2,}[\p{L}\p{N}@$](?![\p{L}\p{N}])/gu
 * matches, found by a scan that looks further only where a character is followed by a
 * separator: the regex itself ran its look-behind at every position (~25 ns a character, most
 * of a 1 KB prompt's normalisation when it held a single-letter word); a test compares the two.
 */
export function joinSpacedLetters(text: string): string {
  if (!SPACED_HINT.test(text)) return text;
  let out = '';
  let copied = 0;
  const n = text.length;
  for (let p = 0; p < n;) {
    const cp = text.codePointAt(p)!;
    const width = cp > 0xffff ? 2 : 1;
    const end = p + width < n && isSeparator(text.charCodeAt(p + width)) ? spacedRunEnd(text, p) : -1;
    if (end === -1) {
      p += width;
      continue;
    }
    out += text.slice(copied, p) + joinRun(text.slice(p, end));
    copied = end;
    p = end;
  }
  return copied === 0 ? text : out + text.slice(copied);
}

/** The run as one word, when it uses one separator throughout and is not an abbreviation. */
function joinRun(run: string): string {
  const sep = run[1]!;
  // One consistent separator: "a b c" or "a.b.c", not "U.S. and" style text.
  for (let i = 1; i < run.length; i += 2) if (run[i] !== sep) return run;
  if (sep === '.' && run.length < 7) return run; // abbreviations like "e.g.", "z.B."
  let out = '';
  for (let i = 0; i < run.length; i += 2) out += run[i];
  return out;
}

const isSeparator = (c: number) => c === 32 || c === 46 || c === 45 || c === 95 || c === 42; // space . - _ *
const LETTER_OR_DIGIT = /^[\p{L}\p{N}]$/u;
/** Per UTF-16 unit: 0 not looked up yet, 1 a letter or digit, 2 not. */
const letterOrDigitUnits = new Uint8Array(0x10000);

/** Whether code point `cp` is a letter or digit of any script (\p{L} or \p{N}). */
function isLetterOrDigit(cp: number): boolean {
  if (cp < 0x80) return (cp >= 48 && cp <= 57) || ((cp | 32) >= 97 && (cp | 32) <= 122);
  if (cp > 0xffff) return LETTER_OR_DIGIT.test(String.fromCodePoint(cp));
  let known = letterOrDigitUnits[cp]!;
  if (known === 0) letterOrDigitUnits[cp] = known = LETTER_OR_DIGIT.test(String.fromCharCode(cp)) ? 1 : 2;
  return known === 1;
}

/** A character a spaced-out run is made of: a letter, a digit, `@` or `$`. */
const isRunChar = (cp: number) => cp === 64 || cp === 36 || isLetterOrDigit(cp);

/** The code point that ends just before `p` (a surrogate pair read as one). */
function codePointBefore(text: string, p: number): number {
  const low = text.charCodeAt(p - 1);
  if (low >= 0xdc00 && low <= 0xdfff && p >= 2) {
    const high = text.charCodeAt(p - 2);
    if (high >= 0xd800 && high <= 0xdbff) return text.codePointAt(p - 2)!;
  }
  return low;
}

/**
 * Where the spaced-out run starting at `p` ends, or -1 when none starts there. As the regex
 * does: no letter or digit before it, as many "character separator" pairs as there are (at
 * least two), then a last character that no letter or digit follows; when the character after
 * the pairs is missing or fails that test, the run ends one pair earlier, at the last pair's
 * character (a separator follows it).
 */
function spacedRunEnd(text: string, p: number): number {
  const n = text.length;
  if (!isRunChar(text.codePointAt(p)!) || (p > 0 && isLetterOrDigit(codePointBefore(text, p)))) return -1;
  let q = p;
  let pairs = 0;
  let lastChar = p;
  for (;;) {
    if (q >= n) break;
    const c = text.codePointAt(q)!;
    const w = c > 0xffff ? 2 : 1;
    if (!isRunChar(c) || q + w >= n || !isSeparator(text.charCodeAt(q + w))) break;
    lastChar = q;
    pairs += 1;
    q += w + 1;
  }
  if (pairs >= 2 && q < n) {
    const c = text.codePointAt(q)!;
    const after = q + (c > 0xffff ? 2 : 1);
    if (isRunChar(c) && (after >= n || !isLetterOrDigit(text.codePointAt(after)!))) return after;
  }
  if (pairs >= 3) return lastChar + (text.codePointAt(lastChar)! > 0xffff ? 2 : 1);
  return -1;
}

/**
 * A separator, one character (a code point), a separator and a character that no ASCII letter
 * or digit follows: the end of every spaced-out run ("x a b c." holds " b c."). Without the Unicode flag and its classes V8 scans for
 * it at ~0.1 ns per character, against ~25 ns for the run's own pattern (whose look-behind runs
 * at every position), and most texts do not hold it.
 */
const SPACED_HINT = /[ .\-_*](?:[\uD800-\uDBFF][\uDC00-\uDFFF]|[^ .\-_*])[ .\-_*][^ .\-_*](?![A-Za-z0-9])/;

/** Two letters or digits side by side: no spaced-out run contains, ends at or starts at either. */
const ADJACENT_WORD_CHARS = /[\p{L}\p{N}](?=[\p{L}\p{N}])/gu;

/**
 * `joinSpacedLetters`, a chunk at a time (slices.ts). A chunk ends between two adjacent
 * letters or digits, which no spaced-out run can span, and is replaced with its neighbouring
 * character on each side so that the run's look-arounds see what they see in the whole text.
 */
export function* joinSpacedLettersSteps(text: string): Steps<string> {
  if (text.length <= PASS_CHUNK) return joinSpacedLetters(text);
  const parts: string[] = [];
  let changed = false; // joinSpacedLetters hands back its input when it joins nothing
  let from = 0;
  let before = 0; // length of the character before `from`, passed along as context
  for (;;) {
    ADJACENT_WORD_CHARS.lastIndex = from + PASS_CHUNK;
    const m = from + PASS_CHUNK < text.length ? ADJACENT_WORD_CHARS.exec(text) : null;
    if (!m) {
      const rest = text.slice(from - before);
      const joined = joinSpacedLetters(rest);
      if (!changed && joined === rest) return text; // no copy of an unchanged text (see lowerCaseSteps)
      parts.push(joined.slice(before));
      return parts.join('');
    }
    const cut = m.index + m[0].length;
    const after = text.codePointAt(cut)! > 0xffff ? 2 : 1;
    const piece = text.slice(from - before, cut + after);
    const joined = joinSpacedLetters(piece);
    changed ||= joined !== piece;
    parts.push(joined.slice(before, joined.length - after));
    before = m[0].length;
    from = cut;
    yield;
  }
}
