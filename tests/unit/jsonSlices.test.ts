import { getHeapSpaceStatistics } from 'node:v8';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { LONG_STRING_CHARS, parseJsonWithSlices } from '../../src/utils/jsonSlices.js';

/** JSON.parse's answer: the value, or the kind of error it throws. */
function outcome(parse: () => unknown): { value: unknown } | { error: string } {
  try {
    return { value: parse() };
  } catch (err) {
    return { error: (err as Error).name };
  }
}

const sameAsJsonParse = (text: string, longChars: number) =>
  expect(outcome(() => parseJsonWithSlices(text, longChars))).toEqual(outcome(() => JSON.parse(text)));

/** Strings with what a JSON string token can hold: escapes, quotes, control characters, astral characters. */
const texts = fc.string({
  unit: fc.oneof(
    fc.constantFrom(
      'a',
      ' ',
      '"',
      '\\',
      '\n',
      '\u0000',
      '\u001f',
      'é',
      '€',
      '\u2028',
      '\ud83d\ude00',
      '\ud800',
      ':',
      '{',
    ),
    fc.string({ maxLength: 3 }),
  ),
  maxLength: 40,
});

const documents = fc.letrec((tie) => ({
  value: fc.oneof(
    { depthSize: 'small' },
    texts,
    fc.integer(),
    fc.double({ noNaN: true, noDefaultInfinity: true }),
    fc.boolean(),
    fc.constant(null),
    tie('array'),
    tie('object'),
  ),
  array: fc.array(tie('value'), { maxLength: 5 }),
  object: fc.dictionary(texts, tie('value'), { maxKeys: 5 }),
})).value;

describe('parseJsonWithSlices', () => {
  it('gives what JSON.parse gives for any JSON, long values taken as slices or not', () => {
    fc.assert(
      fc.property(documents, fc.integer({ min: 1, max: 12 }), fc.boolean(), (doc, longChars, spaced) => {
        sameAsJsonParse(JSON.stringify(doc, null, spaced ? 2 : undefined), longChars);
      }),
      { numRuns: 3000 },
    );
  });

  it('refuses what JSON.parse refuses: texts cut, with a character added or changed', () => {
    const edits = fc.constantFrom('"', '\\', '\n', '\u0000', ':', ',', '}', ']', 'x', '');
    fc.assert(
      fc.property(
        documents,
        fc.nat(),
        edits,
        fc.boolean(),
        fc.integer({ min: 1, max: 8 }),
        (doc, at, edit, replace, n) => {
          const text = JSON.stringify({ doc, tail: 'a'.repeat(n * 3) });
          const i = at % (text.length + 1);
          sameAsJsonParse(text.slice(0, i) + edit + text.slice(i + (replace ? 1 : 0)), n);
          sameAsJsonParse(text.slice(0, i), n);
        },
      ),
      { numRuns: 3000 },
    );
  });

  it('keeps long keys as keys and leaves values with escapes or control characters to JSON.parse', () => {
    const long = 'k'.repeat(20);
    const text = `{"${long}" : "${'v'.repeat(20)}", "b": "${'w'.repeat(19)}\\n", "c": ["${'x'.repeat(30)}"]}`;
    expect(parseJsonWithSlices(text, 10)).toEqual(JSON.parse(text));
    expect(() => parseJsonWithSlices(`{"a": "${'y'.repeat(20)}\u0001"}`, 10)).toThrow(SyntaxError);
    expect(() => parseJsonWithSlices(`{"a": "${'y'.repeat(20)}\n"}`, 10)).toThrow(SyntaxError);
  });

  it("gives a body's own strings that look like its stand-ins back as they were", () => {
    const text = JSON.stringify({ a: 'z'.repeat(30), b: '\u0000', c: '\u00000', d: ['\u0000:1'] });
    expect(parseJsonWithSlices(text, 10)).toEqual(JSON.parse(text));
  });

  it('takes a long value without copying it: the heap of large strings does not grow by its size', () => {
    const big = 'a@b.co '.repeat(Math.ceil((2 * 1024 * 1024) / 7));
    // as the direct path decodes a large ASCII body: a string outside V8's heap (Buffer#toString)
    const text = Buffer.from(
      JSON.stringify({ messages: [{ role: 'user', content: big }], response: `${big}!` }),
    ).toString('latin1');
    const large = () => getHeapSpaceStatistics().find((s) => s.space_name === 'large_object_space')!.space_used_size;
    const grewBy = (parse: (t: string) => unknown) => {
      const before = large();
      const kept = parse(text);
      const grown = large() - before;
      expect(kept).toEqual(JSON.parse(text));
      return grown;
    };
    expect(grewBy((t) => JSON.parse(t))).toBeGreaterThan(big.length);
    expect(grewBy((t) => parseJsonWithSlices(t))).toBeLessThan(LONG_STRING_CHARS);
  });
});
