/**
 * Whether a string holds a character that JSON escapes (the quote, the backslash, the control
 * characters) or one that JSON refuses raw in a string (the control characters), answered for a
 * long string without a regex over every character.
 *
 * A chat call of 3 MB asked this of its long texts five times on the request thread (the body's
 * parse, its validation, the answer's redacted messages and transcript): the regex reads a
 * character in 2-3 ns, about 20 ms a call in a profile of the server. Here a long text is copied
 * a piece at a time into one reused buffer as Latin-1 bytes and each byte looked for with
 * `Buffer#indexOf` (memchr): 0.7 ms for 2 MB against 2.3-3.6 with the regex (node 20, either
 * string representation). A piece with a character past Latin-1 is left to the regex: its
 * Latin-1 bytes keep only the low byte of such a character (U+0422 would read as a quote).
 */
import { isLatin1 } from './latin1.js';

/** Characters JSON.stringify escapes: the quote, the backslash and the control characters. */
// eslint-disable-next-line no-control-regex -- the control characters are what it looks for
export const ESCAPED = /["\\\u0000-\u001f]/;

/** The control characters, which JSON.parse refuses raw in a string. */
// eslint-disable-next-line no-control-regex -- the control characters are what it looks for
const CONTROL = /[\u0000-\u001f]/;

/**
 * Strings shorter than this are asked with the regex straight away (the 34 searches cost about a
 * microsecond more than it); longer ones are searched a piece at a time. A thousand 2 KB chat
 * messages: 1.4-1.7 ms against 3.1-3.6 with the regex.
 */
export const SEARCH_MIN_CHARS = 1024;

/** Characters copied and searched at a time (the reused buffer's size). */
export const SEARCH_PIECE_CHARS = 64 * 1024;

/** The control characters' bytes, the likeliest in text first (a hit ends the search). */
const CONTROL_BYTES = [
  0x0a,
  0x09,
  0x0d,
  ...Array.from({ length: 32 }, (_, c) => c).filter((c) => ![0x0a, 0x09, 0x0d].includes(c)),
];
const ESCAPED_BYTES = [0x0a, 0x22, 0x5c, ...CONTROL_BYTES.slice(1)];

let scratch: Buffer | undefined;

/** Whether `s` holds a character of `regex`, whose characters are the bytes `bytes`, all under U+0080. */
function holds(s: string, regex: RegExp, bytes: readonly number[]): boolean {
  if (s.length < SEARCH_MIN_CHARS) return regex.test(s);
  scratch ??= Buffer.allocUnsafeSlow(SEARCH_PIECE_CHARS);
  for (let at = 0; at < s.length; at += SEARCH_PIECE_CHARS) {
    // a slice of 13 characters or more shares the string's memory: no copy here
    const piece = at === 0 && s.length <= SEARCH_PIECE_CHARS ? s : s.slice(at, at + SEARCH_PIECE_CHARS);
    if (!isLatin1(piece)) {
      if (regex.test(piece)) return true;
      continue;
    }
    const written = scratch.write(piece, 0, 'latin1');
    const view = written === SEARCH_PIECE_CHARS ? scratch : scratch.subarray(0, written);
    for (const b of bytes) if (view.indexOf(b) !== -1) return true;
  }
  return false;
}

/** `ESCAPED.test(s)`: whether JSON.stringify escapes a character of `s` (lone surrogates aside). */
export function hasJsonEscapes(s: string): boolean {
  return holds(s, ESCAPED, ESCAPED_BYTES);
}

/** `/[\u0000-\u001f]/.test(s)`: whether `s` holds a control character. */
export function hasControlChars(s: string): boolean {
  return holds(s, CONTROL, CONTROL_BYTES);
}
