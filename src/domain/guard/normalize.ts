/**
 * Text normalisation before injection scoring (pure, no I/O). Each step undoes one trivial
 * obfuscation, so "ＩＧＮОＲЕ  4ll  p r e v i o u s" reads as "ignore all previous":
 *
 * 1. Unicode NFKC (full-width and styled letters, ligatures).
 * 2. Zero-width, soft-hyphen and bidi control characters removed.
 * 3. Confusables folded: Cyrillic/Greek look-alike letters inside Latin words become Latin
 *    (confusables.ts).
 * 4. Spaced-out letters joined ("i g n o r e" -> "ignore"; spacedLetters.ts).
 * 5. Leetspeak digits folded inside words that also hold letters ("1gn0r3" -> "ignore");
 *    plain numbers stay numbers (leetspeak.ts).
 * 6. Lower case, whitespace runs collapsed to one space.
 *
 * The steps are exported one by one so each can be tested on its own.
 */
import { runSync, type Steps } from '../slices.js';
import { foldConfusables, foldConfusablesSteps } from './confusables.js';
import { foldLeetspeak, foldLeetspeakSteps } from './leetspeak.js';
import { joinSpacedLetters, joinSpacedLettersSteps } from './spacedLetters.js';
import { PASS_CHUNK, whitespaceChunks } from './textChunks.js';

export { foldConfusables, foldConfusablesSteps };
export { foldLeetspeak, foldLeetspeakSteps, joinSpacedLetters, joinSpacedLettersSteps };
export { spaceChunks, whitespaceChunks } from './textChunks.js';

/** Zero-width characters, soft hyphen, word joiner, BOM and the bidi controls. */
const INVISIBLE = /[\u00AD\u180E\u200B-\u200F\u202A-\u202E\u2060-\u2064\u2066-\u2069\uFEFF]/g;

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
