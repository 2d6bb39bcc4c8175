/**
 * jsonParts (utils/jsonParts.ts): the parts joined are JSON.stringify's text for any value it
 * writes, each part at most the piece size unless it is one long string's JSON, and partsBytes
 * counts the bytes Buffer.byteLength counts of the whole.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { runSync } from '../../src/domain/slices.js';
import { jsonPartsSteps, partsBytesSteps } from '../../src/utils/jsonParts.js';

const jsonParts = (value: unknown, pieceChars: number) => runSync(jsonPartsSteps(value, pieceChars));
const partsBytes = (parts: readonly string[]) => runSync(partsBytesSteps(parts));

/** Checks the parts of `value` with pieces of `pieceChars` against JSON.stringify. */
function check(value: unknown, pieceChars: number): string[] {
  const parts = jsonParts(value, pieceChars)!;
  const whole = JSON.stringify(value);
  expect(parts.join('')).toBe(whole);
  expect(partsBytes(parts)).toBe(Buffer.byteLength(whole));
  for (const part of parts) {
    // a part over the size is a string JSON writes as it is, or one token alone: a scalar's JSON,
    // or a key with its comma and colon
    if (part.length > pieceChars && JSON.stringify(part) !== `"${part}"`) {
      const token: unknown = JSON.parse(part.replace(/^,(?=")/, '').replace(/(?<="):$/, ''));
      expect(token === null || typeof token !== 'object').toBe(true);
    }
  }
  return parts;
}

describe('jsonParts', () => {
  it('should join to JSON.stringify for any JSON value, in parts of any size', () => {
    const text = fc.oneof(
      fc.string({ unit: 'grapheme' }),
      fc.string({ unit: 'binary' }), // lone surrogates
      fc.string({ unit: fc.constantFrom('"', '\\', '\n', '\u0000', '\u2028', 'é', '😀', 'a') }),
    );
    const value = fc.letrec((tie) => ({
      any: fc.oneof(
        { depthSize: 'small' },
        text,
        fc.double(), // NaN and the infinities are written as null
        fc.integer(),
        fc.boolean(),
        fc.constant(null),
        fc.array(tie('any'), { maxLength: 6 }),
        fc.dictionary(text, tie('any'), { maxKeys: 6 }),
      ),
    })).any;
    fc.assert(
      fc.property(value, fc.integer({ min: 1, max: 40 }), (v, pieceChars) => {
        check(v, pieceChars);
      }),
      { numRuns: 2000 },
    );
  });

  it('should leave out and write as null what JSON.stringify does, and call toJSON with its key', () => {
    const keys: string[] = [];
    const value = {
      a: undefined,
      b: () => 1,
      c: Symbol('s'),
      d: [undefined, () => 1, Symbol('t'), 1],
      e: new Date(Date.UTC(2026, 11, 6)),
      f: { toJSON: (key: string) => (keys.push(key), undefined) },
      g: [{ toJSON: (key: string) => (keys.push(key), { nested: key }) }],
      h: Object(1) as unknown,
      i: Object('boxed') as unknown,
      j: Object(false) as unknown,
      k: Number.NaN,
      l: -0,
    };
    for (const pieceChars of [1, 7, 1000]) check(value, pieceChars);
    expect(keys).toEqual(['f', '0', 'f', '0', 'f', '0', 'f', '0', 'f', '0', 'f', '0']);
    expect(jsonParts(undefined, 10)).toBeUndefined();
    expect(jsonParts({ toJSON: () => undefined }, 10)).toBeUndefined();
    expect(() => jsonParts({ n: 1n }, 10)).toThrow(TypeError);
  });

  it("should give a long string's JSON a part of its own and join the rest up to the piece size", () => {
    const long = 'é"\n'.repeat(400);
    const answer = {
      id: 'abc',
      redactedPrompt: long,
      redactedMessages: Array.from({ length: 50 }, (_, i) => ({
        role: i % 2 ? 'assistant' : 'user',
        content: `m${i}`,
      })),
      configVersion: 3,
    };
    const parts = check(answer, 100);
    expect(parts).toContain(JSON.stringify(long));
    // a long string with nothing to escape is a part as it is (the same string, not a copy)
    const plain = 'plain text, nothing to escape; '.repeat(20);
    const plainParts = check({ redactedPrompt: plain, n: 1 }, 100);
    expect(plainParts).toEqual(['{"redactedPrompt":"', plain, '","n":1}']);
    expect(check({ s: plain.slice(0, 99) + '\ud800' + plain }, 100)).toHaveLength(3); // a lone surrogate: JSON
    // the short messages' ~500 tokens are joined into parts of at most 100 characters, each full
    // but for the one before the long string and the last
    const rest = parts.filter((p) => p !== JSON.stringify(long));
    expect(rest.every((p) => p.length <= 100)).toBe(true);
    expect(rest.filter((p) => p.length < 60).length).toBeLessThanOrEqual(2);
  });

  it('should make a large answer in steps, a part or a long string each, to the same parts', () => {
    const messages = Array.from({ length: 400 }, (_, i) => ({
      role: i % 2 ? 'assistant' : 'user',
      content: `[PHONE] ${i} `.repeat(60),
    }));
    const answer = {
      id: 'x',
      redactedPrompt: 'user: a\n\n'.repeat(50_000),
      redactedMessages: messages,
      flags: ['pii:phone'],
    };
    const pieceChars = 16 * 1024;
    const steps = jsonPartsSteps(answer, pieceChars);
    let count = 1;
    let next = steps.next();
    for (; !next.done; next = steps.next()) count++;
    const parts = next.value!;
    expect(parts).toEqual(jsonParts(answer, pieceChars));
    expect(parts.join('')).toBe(JSON.stringify(answer));
    // no step makes more than a part, but for the long string's own
    expect(count).toBeGreaterThanOrEqual(parts.length - 1);
    const bytes = partsBytesSteps(parts);
    let counted = bytes.next();
    let byteSteps = 1;
    for (; !counted.done; counted = bytes.next()) byteSteps++;
    expect(counted.value).toBe(partsBytes(parts));
    expect(byteSteps).toBe(parts.length);
  });
});
