/**
 * hasJsonEscapes and hasControlChars (utils/jsonEscapes.ts) answer what their regexes answer, for
 * long strings of either representation: the character found in any piece, at a piece's edges,
 * and characters past Latin-1 whose low byte is one looked for (U+0422, U+010A) never taken for it.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  ESCAPED,
  hasControlChars,
  hasJsonEscapes,
  SEARCH_MIN_CHARS,
  SEARCH_PIECE_CHARS,
} from '../../src/utils/jsonEscapes.js';

// eslint-disable-next-line no-control-regex -- the control characters are what it looks for
const CONTROL = /[\u0000-\u001f]/;
const PIECE = SEARCH_PIECE_CHARS;

/** `s` as a two-byte string of the same characters (a slice of a string that holds U+0100). */
const twoByte = (s: string) => `\u0100${s}`.slice(1);

function expectBoth(s: string): void {
  for (const text of [s, twoByte(s)]) {
    expect(hasJsonEscapes(text)).toBe(ESCAPED.test(text));
    expect(hasControlChars(text)).toBe(CONTROL.test(text));
  }
}

describe('hasJsonEscapes, hasControlChars', () => {
  it('should find each character looked for, anywhere in a long text', () => {
    const filler = 'a@b.co '.repeat(Math.ceil((3 * PIECE) / 7)).slice(0, 3 * PIECE);
    const looked = ['"', '\\', ...Array.from({ length: 32 }, (_, c) => String.fromCharCode(c))];
    for (const c of looked) {
      for (const at of [0, 1, PIECE - 1, PIECE, PIECE + 1, 2 * PIECE + 5, 3 * PIECE - 1]) {
        const s = filler.slice(0, at) + c + filler.slice(at + 1);
        expect(hasJsonEscapes(s)).toBe(true);
        expect(hasControlChars(s)).toBe(c.charCodeAt(0) < 0x20);
        expect(hasJsonEscapes(twoByte(s))).toBe(true);
      }
    }
    expectBoth(filler);
    // strings about as long as the shortest searched, each character at each end
    for (const length of [SEARCH_MIN_CHARS - 1, SEARCH_MIN_CHARS, SEARCH_MIN_CHARS + 1, 2048]) {
      for (const c of looked) {
        for (const at of [0, length - 1]) {
          const s = filler.slice(0, at) + c + filler.slice(at + 1, length);
          expect(s).toHaveLength(length);
          expect(hasJsonEscapes(s)).toBe(true);
          expect(hasControlChars(s)).toBe(c.charCodeAt(0) < 0x20);
        }
      }
      expectBoth(filler.slice(0, length));
    }
  });

  it('should not take a character past Latin-1 for the byte it ends in', () => {
    // U+0422 ends in 0x22 (a quote), U+010A in 0x0A (a line feed), U+015C in 0x5C (a backslash)
    for (const c of ['\u0422', '\u010a', '\u015c', '\u2000', '\ud83d\ude00']) {
      const s = `${'Привет мир '.repeat(PIECE / 5)}${c}`;
      expect(hasJsonEscapes(s)).toBe(false);
      expect(hasControlChars(s)).toBe(false);
      expectBoth(`${s}\n`);
    }
    // Latin-1 past ASCII: one byte a character, none of them looked for
    expectBoth('é ü ß ÿ \u0080\u009f\u00a0 '.repeat(PIECE / 4));
  });

  it('should answer as the regexes do for any text, short or long', () => {
    const unit = fc.oneof(
      fc.constantFrom('a', ' ', 'é', 'ÿ', 'Т', 'Њ', 'Ŝ', '😀', '\ud800', '"', '\\', '\n', '\u0000', '\u001f', '\u007f'),
      fc.string({ unit: 'binary', maxLength: 3 }),
    );
    fc.assert(
      fc.property(
        fc.array(unit, { maxLength: 40 }),
        fc.oneof(fc.integer({ min: 0, max: 3 * SEARCH_MIN_CHARS }), fc.integer({ min: 0, max: 3 * PIECE })),
        fc.boolean(),
        (units, length, latin1Filler) => {
          const filler = (latin1Filler ? 'x' : 'ж').repeat(length);
          // the units spread over the filler, so that they fall in different pieces
          let s = filler;
          units.forEach((u, i) => {
            const at = Math.floor(((i + 1) * s.length) / (units.length + 1));
            s = s.slice(0, at) + u + s.slice(at);
          });
          expectBoth(s);
        },
      ),
      { numRuns: 300 },
    );
  });
});
