import { getHeapSpaceStatistics, setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import fc from 'fast-check';
import { describe, expect, it, vi } from 'vitest';
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
      fc.property(documents, fc.integer({ min: 1, max: 12 }), fc.boolean(), texts, (doc, longChars, spaced, fill) => {
        sameAsJsonParse(JSON.stringify(doc, null, spaced ? 2 : undefined), longChars);
        // with a long value that is most of the text, so that the rest is parsed around its stand-in
        const long = `${fill}${'p'.repeat(JSON.stringify(doc).length + 40)}`;
        sameAsJsonParse(JSON.stringify(spaced ? { doc, long } : [long, doc]), longChars);
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
    const text = `{"${long}" : "${'v'.repeat(60)}", "b": "${'w'.repeat(19)}\\n", "c": ["${'x'.repeat(80)}"]}`;
    expect(parseJsonWithSlices(text, 10)).toEqual(JSON.parse(text));
    expect(() => parseJsonWithSlices(`{"a": "${'y'.repeat(20)}\u0001"}`, 10)).toThrow(SyntaxError);
    expect(() => parseJsonWithSlices(`{"a": "${'y'.repeat(20)}\n"}`, 10)).toThrow(SyntaxError);
  });

  it("gives a body's own strings that look like its stand-ins back as they were", () => {
    const text = JSON.stringify({ a: 'z'.repeat(90), b: '\u0000', c: '\u00000', d: ['\u0000:1'] });
    expect(parseJsonWithSlices(text, 10)).toEqual(JSON.parse(text));
  });

  it('takes a long value without copying it: the heap of large strings does not grow by its size', () => {
    setFlagsFromString('--expose-gc');
    const gc = runInNewContext('gc') as () => void;
    const big = 'a@b.co '.repeat(Math.ceil((2 * 1024 * 1024) / 7));
    // as the direct path decodes a large ASCII body: Buffer#toString
    const text = Buffer.from(
      JSON.stringify({ messages: [{ role: 'user', content: big }], response: `${big}!` }),
    ).toString('latin1');
    // large strings are born in the young generation's space for large objects
    const large = () =>
      getHeapSpaceStatistics()
        .filter((s) => s.space_name.endsWith('large_object_space'))
        .reduce((sum, s) => sum + s.space_used_size, 0);
    const grewBy = (parse: (t: string) => unknown) => {
      gc();
      const before = large();
      const kept = parse(text);
      const grown = large() - before;
      expect(kept).toEqual(JSON.parse(text));
      return grown;
    };
    expect(grewBy((t) => JSON.parse(t))).toBeGreaterThan(2 * big.length);
    expect(grewBy((t) => parseJsonWithSlices(t))).toBeLessThan(LONG_STRING_CHARS);
  });

  it('leaves a text whose long values are not most of it to JSON.parse (the rest would be copied twice)', () => {
    const parse = vi.spyOn(JSON, 'parse');
    try {
      const short = Array.from({ length: 400 }, (_, i) => ({ role: 'user', content: `${i} `.repeat(500) }));
      const mostlyShort = JSON.stringify({ messages: short, response: 'r'.repeat(256 * 1024) });
      expect(parseJsonWithSlices(mostlyShort)).toEqual(JSON.parse(mostlyShort));
      expect(parse.mock.calls[0]![0]).toBe(mostlyShort);
      parse.mockClear();
      const mostlyLong = JSON.stringify({ messages: short, response: 'r'.repeat(1024 * 1024) });
      expect(parseJsonWithSlices(mostlyLong)).toEqual(JSON.parse(mostlyLong));
      expect(parse.mock.calls[0]![0]).not.toBe(mostlyLong);
      expect((parse.mock.calls[0]![0] as string).length).toBeLessThan(mostlyLong.length / 2);
    } finally {
      parse.mockRestore();
    }
  });
});
