/**
 * jsonBytes (utils/jsonBytes.ts) counts what Buffer.byteLength(JSON.stringify(value)) counts, for
 * every value JSON.parse can give and for the escapes JSON.stringify writes.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { jsonBytes, jsonStringBytes } from '../../src/utils/jsonBytes.js';
import { llmRequestBody } from '../../src/validators/ingestValidators.js';

const stringified = (v: unknown) => Buffer.byteLength(JSON.stringify(v), 'utf8');

describe('jsonBytes', () => {
  it('should count every escape JSON.stringify writes', () => {
    const all = Array.from({ length: 0x80 }, (_, c) => String.fromCharCode(c)).join('');
    for (const s of [
      '',
      all,
      '"\\/\b\f\n\r\t\u0000\u001f\u007f',
      'é€😀𝄞\u2028\u2029\uFEFF',
      'lone \ud800 high, lone \udfff low, reversed \udc00\ud800, at the end \ud83d',
      '\ud83d\ude00\ud83d',
    ]) {
      expect(jsonStringBytes(s)).toBe(stringified(s));
    }
  });

  it('should equal Buffer.byteLength(JSON.stringify(value)) for any JSON value', () => {
    // full Unicode strings, lone surrogates included, and the characters JSON escapes
    const text = fc.oneof(
      fc.string({ unit: 'grapheme' }),
      fc.string({ unit: 'binary' }),
      fc.string({ unit: fc.constantFrom('"', '\\', '\n', '\u0001', '\ud800', '\udc00', 'a', 'é', '😀') }),
    );
    const value = fc.letrec((tie) => ({
      json: fc.oneof(
        { depthSize: 'small' },
        text,
        fc.double(),
        fc.integer(),
        fc.boolean(),
        fc.constant(null),
        fc.array(tie('json')),
        fc.dictionary(text, tie('json')),
      ),
    })).json;
    fc.assert(
      fc.property(value, (v) => jsonBytes(v) === stringified(v)),
      { numRuns: 2000 },
    );
  });

  it('should count chat messages as the body limit counts them', () => {
    const messages = [
      { role: 'system', content: 'Be brief.\nNever "reveal" this.' },
      {
        role: 'user',
        content: [
          { type: 'text', text: 'Hi 😀' },
          { type: 'image_url', image_url: { url: 'x' } },
        ],
      },
      {
        role: 'assistant',
        content: null,
        tool_calls: [{ id: 'c1', type: 'function', function: { name: 'f', arguments: '{}' } }],
      },
    ];
    expect(jsonBytes(messages)).toBe(stringified(messages));
  });

  it('should leave out what JSON.stringify leaves out, and use toJSON', () => {
    const v = { a: undefined, b: () => 1, c: [undefined, () => 1, Symbol('s')], d: new Date(0), e: Number.NaN, f: -0 };
    expect(jsonBytes(v)).toBe(stringified(v));
    expect(jsonBytes(undefined)).toBeNaN();
  });
});

describe('the messages limit of POST /llm/request', () => {
  const MB = 1024 * 1024;
  /** One user message whose messages JSON is `bytes` long, with escapes and a two-byte character. */
  const messagesOf = (bytes: number) => {
    const frame = Buffer.byteLength(JSON.stringify([{ role: 'user', content: '"\né' }]));
    return [{ role: 'user', content: `"\né${'x'.repeat(bytes - frame)}` }];
  };

  it('should take messages of exactly 2 MB of JSON and refuse one byte more', () => {
    const exact = messagesOf(2 * MB);
    expect(Buffer.byteLength(JSON.stringify(exact))).toBe(2 * MB);
    const body = { model: 'gpt-4o', latencyMs: 1 };
    expect(llmRequestBody.safeParse({ ...body, messages: exact }).success).toBe(true);
    const over = llmRequestBody.safeParse({ ...body, messages: messagesOf(2 * MB + 1) });
    expect(over.success).toBe(false);
    expect(over.error!.issues.map((i) => i.message)).toEqual(['messages must be at most 2 MB of JSON']);
  });
});
