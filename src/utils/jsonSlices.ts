/**
 * `JSON.parse` that hands long plain string values back as slices of the text instead of copies.
 *
 * `JSON.parse` copies every string value out of the text. For a chat call of 3 MB that is 3 MB of
 * fresh memory, which V8 takes in pages of its own for each string over about 128 KB: on the
 * virtual machines this runs on, a page fault costs about 10 µs, and parsing that body took the
 * request thread 9-20 ms, most of it those faults (800 a body). A slice of a flat string
 * (`String.prototype.slice`, 13 characters or more) shares the text's memory: here the long
 * values cost nothing to take out.
 *
 * How: the string tokens are found by `indexOf` (JSON has no quote outside a string token, and
 * a backslash escapes exactly the character after it); each value of LONG_STRING_CHARS or more
 * with no backslash and no control character (which JSON.parse refuses) is replaced in the text
 * by a short stand-in, the rest is parsed by `JSON.parse`, and the stand-ins are swapped for the
 * slices; when such values are not most of the text, the whole text is left to `JSON.parse` (the
 * rest would be copied once more than by `JSON.parse` alone). Values with escapes, keys and short values are parsed by `JSON.parse` as they are. Text
 * that is not JSON is refused by `JSON.parse` exactly as it would be: replacing one string token by
 * another leaves its grammar as it was.
 */
import { randomBytes } from 'node:crypto';
import { hasControlChars } from './jsonEscapes.js';

/** String values of at least this many characters are taken as slices of the text. */
export const LONG_STRING_CHARS = 64 * 1024;

/** Stand-ins begin with this (a NUL and a random tag of this process), then their index. */
const TAG = `\u0000${randomBytes(12).toString('base64url')}:`;

/** Whether the first character after `at` that is not JSON whitespace is a colon (the token is a key). */
function isKey(text: string, at: number): boolean {
  for (let i = at; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (c === 0x20 || c === 0x0a || c === 0x0d || c === 0x09) continue;
    return c === 0x3a;
  }
  return false;
}

const longChars = (longs: readonly string[]) => longs.reduce((sum, s) => sum + s.length, 0);

/**
 * The value of `text` as JSON.parse gives it (it throws what JSON.parse throws), with string
 * values of LONG_STRING_CHARS or more that hold no escape sharing `text`'s memory.
 */
export function parseJsonWithSlices(text: string, minChars = LONG_STRING_CHARS): unknown {
  if (text.length < minChars) return JSON.parse(text);
  const longs: string[] = [];
  const parts: string[] = [];
  let copiedTo = 0;
  let backslash = text.indexOf('\\');
  for (let at = text.indexOf('"'); at >= 0;) {
    // the token's closing quote: the first quote not escaped
    let end = at + 1;
    let escaped = false;
    for (;;) {
      const quote = text.indexOf('"', end);
      if (quote < 0) return JSON.parse(text); // unterminated: JSON.parse says where
      if (backslash >= 0 && backslash < end) backslash = text.indexOf('\\', end);
      if (backslash < 0 || backslash > quote) {
        end = quote;
        break;
      }
      escaped = true;
      end = backslash + 2;
    }
    if (!escaped && end - at - 1 >= minChars && !isKey(text, end + 1)) {
      const value = text.slice(at + 1, end);
      if (!hasControlChars(value)) {
        parts.push(text.slice(copiedTo, at), JSON.stringify(TAG + longs.length));
        longs.push(value);
        copiedTo = end + 1;
      }
    }
    at = text.indexOf('"', end + 1);
  }
  // The rest of the text is copied once more (joined, then parsed): worth it only when the long
  // values are most of the text (a body of many short messages with one long response is not).
  if (longs.length === 0 || 2 * longChars(longs) <= text.length) return JSON.parse(text);
  parts.push(text.slice(copiedTo));
  return JSON.parse(parts.join(''), (_key, value: unknown) =>
    typeof value === 'string' && value.charCodeAt(0) === 0 && value.startsWith(TAG)
      ? longs[Number(value.slice(TAG.length))]
      : value,
  );
}
