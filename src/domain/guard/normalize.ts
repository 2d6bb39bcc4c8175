/**
 * Text normalisation before injection scoring (pure, no I/O). Each step undoes one trivial
 * obfuscation, so "ＩＧＮОＲЕ  4ll  p r e v i o u s" reads as "ignore all previous":
 *
 * 1. Unicode NFKC (full-width and styled letters, ligatures).
 * 2. Zero-width, soft-hyphen and bidi control characters removed.
 * 3. Confusables folded: Cyrillic/Greek look-alike letters inside Latin words become Latin
 *    (confusables.ts).
 * 4. Spaced-out letters joined ("i g n o r e" -> "ignore").
 * 5. Leetspeak digits folded inside words that also hold letters ("1gn0r3" -> "ignore");
 *    plain numbers stay numbers.
 * 6. Lower case, whitespace runs collapsed to one space.
 *
 * The steps are exported one by one so each can be tested on its own.
 */
import { runSync, type Steps } from '../slices.js';
import { foldConfusables, foldConfusablesSteps } from './confusables.js';
import { PASS_CHUNK, spaceChunks, WORD_STEP_CHUNK, whitespaceChunks } from './textChunks.js';

export { foldConfusables, foldConfusablesSteps };
export { spaceChunks, whitespaceChunks } from './textChunks.js';

/** Zero-width characters, soft hyphen, word joiner, BOM and the bidi controls. */
const INVISIBLE = /[\u00AD\u180E\u200B-\u200F\u202A-\u202E\u2060-\u2064\u2066-\u2069\uFEFF]/g;

const LEET: Record<string, string> = {
  '0': 'o',
  '1': 'i',
  '3': 'e',
  '4': 'a',
  '5': 's',
  '7': 't',
  '8': 'b',
  '9': 'g',
  '@': 'a',
  $: 's',
};
const LETTER = /\p{L}/u;

/** Characters normalised per NFKC call on a long text (a chunk ends before an ASCII character). */
const NFKC_CHUNK = 16 * 1024;

/**
 * Characters NFKC may add to a text before the rest of it is left as sent. NFKC expands some
 * characters up to 18 times (U+FDFA): 333k of them (1 MB of UTF-8) become 6M characters, which
 * cost ~0.3 s to normalise and seconds to scan. Ordinary text grows by a few percent at most.
 */
export const NFKC_GROWTH_LIMIT = 256 * 1024;

/**
 * Where a chunk of `text` starting at `from` may end: before an ASCII character (no canonical
 * composition or reordering crosses into one), looked for in the last 256 characters; else
 * anywhere but inside a surrogate pair.
 */
function chunkEnd(text: string, from: number): number {
  const end = from + NFKC_CHUNK;
  if (end >= text.length) return text.length;
  for (let i = end; i > end - 256; i--) if (text.charCodeAt(i) < 0x80) return i;
  const c = text.charCodeAt(end);
  return c >= 0xdc00 && c <= 0xdfff ? end + 1 : end;
}

/** NFKC, chunk by chunk, until the text has grown by NFKC_GROWTH_LIMIT; the rest as sent. */
function* boundedNfkc(text: string): Steps<string> {
  if (text.length <= NFKC_CHUNK) return text.normalize('NFKC');
  const parts: string[] = [];
  let grown = 0;
  let from = 0;
  while (from < text.length) {
    const to = chunkEnd(text, from);
    const chunk = text.slice(from, to);
    const normalized = chunk.normalize('NFKC');
    parts.push(normalized);
    grown += normalized.length - chunk.length;
    from = to;
    yield;
    if (grown > NFKC_GROWTH_LIMIT) {
      parts.push(text.slice(from));
      break;
    }
  }
  return parts.join('');
}

/**
 * NFKC and invisible characters removed: the part every consumer of the text agrees on. The
 * NFKC step is bounded (NFKC_GROWTH_LIMIT): a text that would grow past it keeps its tail as
 * sent, so the rules still see every character and no text costs more than ~1.3x its length.
 */
export function stripInvisible(text: string): string {
  return runSync(stripInvisibleSteps(text));
}

/** Any character outside ASCII (V8 scans for it at memory speed). */
const NON_ASCII = /[\u0080-\uffff]/;

/** Characters stripped of invisible ones between two pauses. */
const STRIP_CHUNK = 64 * 1024;

/** `stripInvisible` pausing between its NFKC chunks (slices.ts). */
export function* stripInvisibleSteps(text: string): Steps<string> {
  // ASCII is its own NFKC form and holds no invisible character: nothing to copy or scan.
  if (!NON_ASCII.test(text)) return text;
  const normalized = yield* boundedNfkc(text);
  yield;
  if (normalized.length <= STRIP_CHUNK) return normalized.replace(INVISIBLE, '');
  // The invisible characters are single UTF-16 units: any cut leaves the result as it is.
  const parts: string[] = [];
  for (let from = 0; from < normalized.length; from += STRIP_CHUNK) {
    parts.push(normalized.slice(from, from + STRIP_CHUNK).replace(INVISIBLE, ''));
    yield;
  }
  return parts.join('');
}

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

const isLeet = (c: number) => (c >= 48 && c <= 57 && c !== 50 && c !== 54) || c === 64 || c === 36; // 0-9 but 2, 6; @ $
const isAsciiLetter = (c: number) => (c >= 65 && c <= 90) || (c >= 97 && c <= 122);
/** Per UTF-16 unit from 0xC0 up: 0 not looked up yet, 1 a letter, 2 not (a regex test per unit was ~0.2 µs). */
const letterUnits = new Uint8Array(0x10000);
const isLetterUnit = (c: number): boolean => {
  let known = letterUnits[c]!;
  if (known === 0) letterUnits[c] = known = LETTER.test(String.fromCharCode(c)) ? 1 : 2;
  return known === 1;
};
/** Letters of any script count as letters: ASCII ones by code, others by the Unicode class (one UTF-16 unit). */
const isLetter = (c: number) => isAsciiLetter(c) || (c >= 0xc0 && isLetterUnit(c));

/**
 * Maps leetspeak digits/symbols to letters inside words that also contain letters ("1gn0r3"
 * -> "ignore", "h@ck" -> "hack"); words of digits only ("2024") are left as they are. One pass
 * over the text, copying only the words it changes.
 */
export function foldLeetspeak(text: string): string {
  return runSync(foldLeetspeakSteps(text));
}

/** `foldLeetspeak` a chunk of words at a time (slices.ts). */
export function* foldLeetspeakSteps(text: string): Steps<string> {
  if (text.length <= WORD_STEP_CHUNK) return foldLeetspeakChunk(text);
  let out = '';
  for (const chunk of spaceChunks(text, WORD_STEP_CHUNK)) {
    out += foldLeetspeakChunk(chunk);
    yield;
  }
  return out;
}

const LEET_CHAR = /[0-9@$]/g;

/**
 * A letter (as isLetter counts them) beside a digit, `@` or `$`: every word the fold changes
 * holds one (its letters and leet characters are joined by letters and digits only). Found from
 * the digits, which ordinary prose has few of, so most texts skip the per-character scan. Inside
 * a run of digits, `@` and `$` every neighbour is another of them, never a letter: only the run's
 * two ends are looked at, and the regex is asked once per run (a text of numbers has a run per
 * number, not a match per digit).
 */
function hasLeetHint(text: string): boolean {
  const re = LEET_CHAR;
  const n = text.length;
  re.lastIndex = 0;
  for (let m = re.exec(text); m !== null; m = re.exec(text)) {
    let i = m.index;
    if (i > 0 && isLetter(text.charCodeAt(i - 1))) return true;
    while (i + 1 < n && isLeetChar(text.charCodeAt(i + 1))) i += 1;
    if (i + 1 < n && isLetter(text.charCodeAt(i + 1))) return true;
    re.lastIndex = i + 1;
  }
  return false;
}

/** What LEET_CHAR matches: an ASCII digit, `@` or `$`. */
const isLeetChar = (c: number): boolean => (c >= 48 && c <= 57) || c === 64 || c === 36;

function foldLeetspeakChunk(text: string): string {
  if (!hasLeetHint(text)) return text;
  let out = '';
  let copied = 0;
  let i = 0;
  const n = text.length;
  while (i < n) {
    const c = text.charCodeAt(i);
    if (!(isLeet(c) || c === 50 || c === 54 || isLetter(c))) {
      i += 1;
      continue;
    }
    // a word: letters, digits, @, $
    const start = i;
    let letters = 0;
    let leet = 0;
    while (i < n) {
      const d = text.charCodeAt(i);
      if (isLeet(d)) leet += 1;
      else if (isLetter(d)) letters += 1;
      else if (d !== 50 && d !== 54) break;
      i += 1;
    }
    if (letters > 0 && leet > 0) {
      out += text.slice(copied, start);
      for (let j = start; j < i; j++) out += LEET[text[j]!] ?? text[j];
      copied = i;
    }
  }
  return copied === 0 ? text : out + text.slice(copied);
}

/** Whitespace other than a single space: what folding whitespace runs changes. */
const SPACE_TO_FOLD = /[^\S ]| {2}/;

/**
 * Every whitespace run as one space. Prose is mostly single spaces already, and a replace that
 * matches each of them (200k in 1 MB) only to write it back cost ~5 ms per MB: a test first.
 */
const foldSpace = (text: string): string => (SPACE_TO_FOLD.test(text) ? text.replace(/\s+/g, ' ') : text);

/** Lower case and every whitespace run (newlines included) as one space, trimmed. */
export function foldCaseAndSpace(text: string): string {
  return foldSpace(text.toLowerCase()).trim();
}

/*
 * The chunked passes below hand back their input itself when no chunk changed (V8's
 * `toLowerCase` and the folds here return the very string they were given when there is
 * nothing to change, so the check is a pointer comparison): a text of digits, e-mail addresses
 * or lower-case words then costs no copy of itself (each megabyte copied is a megabyte of fresh
 * memory, 256 page faults on first touch).
 */

/** `text.toLowerCase()`, a chunk at a time (slices.ts). */
export function* lowerCaseSteps(text: string): Steps<string> {
  if (text.length <= PASS_CHUNK) return text.toLowerCase();
  const parts: string[] = [];
  let changed = false;
  for (const chunk of whitespaceChunks(text)) {
    const part = chunk.toLowerCase();
    changed ||= part !== chunk;
    parts.push(part);
    yield;
  }
  return changed ? parts.join('') : text;
}

/** `foldCaseAndSpace`, a chunk at a time (slices.ts): whitespace runs never span two chunks. */
export function* foldCaseAndSpaceSteps(text: string): Steps<string> {
  if (text.length <= PASS_CHUNK) return foldCaseAndSpace(text);
  const parts: string[] = [];
  let changed = false;
  for (const chunk of whitespaceChunks(text)) {
    const part = foldSpace(chunk.toLowerCase());
    changed ||= part !== chunk;
    parts.push(part);
    yield;
  }
  return (changed ? parts.join('') : text).trim();
}

/** The whole pipeline, in the order documented above. */
export function normalizeForGuard(text: string): string {
  return foldCaseAndSpace(foldLeetspeak(joinSpacedLetters(foldConfusables(stripInvisible(text)))));
}

/** `normalizeForGuard` pausing between its steps (slices.ts; each step is one pass over the text). */
export function* normalizeForGuardSteps(text: string): Steps<string> {
  let out = yield* stripInvisibleSteps(text);
  out = yield* foldConfusablesSteps(out);
  yield;
  out = yield* joinSpacedLettersSteps(out);
  yield;
  out = yield* foldLeetspeakSteps(out);
  yield;
  return yield* foldCaseAndSpaceSteps(out);
}

/** Characters of a text the guard looks at: all of a text up to this, else its head and tail. */
export const GUARD_TEXT_LIMIT = 256 * 1024;

/**
 * The part of `text` that is normalised and scored by the model, so the work is bounded: the
 * whole text up to `limit` (GUARD_TEXT_LIMIT), else its first and last `limit / 2` characters
 * (an injection hides at one end of a pasted document far more often than in its middle; the
 * rules still see every character). A limit of 0 leaves nothing.
 */
export function guardSlice(text: string, limit = GUARD_TEXT_LIMIT): string {
  if (text.length <= limit) return text;
  if (limit <= 0) return '';
  const head = Math.floor(limit / 2);
  return `${text.slice(0, head)}\n${text.slice(text.length - (limit - head))}`;
}
