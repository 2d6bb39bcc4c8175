/**
 * Long texts crossing to and from the assessment's worker threads as bytes (services/ingest/wireText.ts):
 * every text comes back character for character, and a long one's buffer is moved, not copied.
 */
import { MessageChannel, receiveMessageOnPort } from 'node:worker_threads';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  type PackedTexts,
  packTexts,
  packTransferables,
  textFromWire,
  textToWire,
  transferablesOf,
  unpackTexts,
  WIRE_TEXT_CHARS,
  type TextOnWire,
} from '../../src/services/ingest/wireText.js';

/** `value` sent through a real MessageChannel as the workers send it, these buffers moved. */
function sent<T>(value: T, transfer: ArrayBuffer[]): T {
  const { port1, port2 } = new MessageChannel();
  try {
    port1.postMessage(value, transfer);
    return receiveMessageOnPort(port2)!.message as T;
  } finally {
    port1.close();
  }
}

const crossed = (text: TextOnWire): TextOnWire => sent(text, transferablesOf(text));

const units = fc.constantFrom(
  'a',
  ' ',
  'é',
  '\u00ff',
  '\u0100',
  '€',
  '東',
  '\ud83d\ude00',
  '\ud800',
  '\udfff',
  '\u0000',
);

describe('wireText', () => {
  it('gives back any text, short or long, Latin-1 or not, lone surrogates included', () => {
    fc.assert(
      fc.property(fc.array(units, { minLength: 1, maxLength: 30 }), fc.boolean(), (parts, long) => {
        const unit = parts.join('');
        const text = long ? unit.repeat(Math.ceil(WIRE_TEXT_CHARS / unit.length)) : unit;
        const wire = textToWire(text);
        expect(typeof wire === 'string').toBe(!long);
        expect(textFromWire(crossed(wire))).toBe(text);
      }),
      { numRuns: 60 },
    );
  });

  it('sends a Latin-1 text one byte a character and any other two, and moves the buffer', () => {
    const latin = `café ${'x'.repeat(WIRE_TEXT_CHARS)}`;
    const other = `東京 ${'x'.repeat(WIRE_TEXT_CHARS)}`;
    const a = textToWire(latin);
    const b = textToWire(other);
    expect(a).toMatchObject({ wire: 'latin1' });
    expect(b).toMatchObject({ wire: 'utf16le' });
    if (typeof a === 'string' || typeof b === 'string') throw new Error('not on the wire');
    expect(a.bytes.byteLength).toBe(latin.length);
    expect(b.bytes.byteLength).toBe(2 * other.length);
    const arrived = crossed(a);
    // moved: the sender's buffer is detached
    expect(a.bytes.buffer.byteLength).toBe(0);
    expect(textFromWire(arrived)).toBe(latin);
  });

  it('copies rather than moves bytes that share a buffer', () => {
    const pooled = Buffer.from('a short text in the pool');
    const wire = { wire: 'latin1' as const, bytes: pooled };
    expect(transferablesOf(wire, 'a string', null, undefined)).toEqual([]);
    expect(textFromWire(crossed(wire))).toBe('a short text in the pool');
    expect(pooled.buffer.byteLength).toBeGreaterThan(0);
  });

  it('gives back packed texts, each in its place, missing ones included, short or long together', () => {
    fc.assert(
      fc.property(
        fc.array(
          fc.option(
            fc.array(units, { maxLength: 12 }).map((parts) => parts.join('')),
            { nil: null },
          ),
        ),
        fc.nat({ max: 400 }),
        (texts, times) => {
          // `times` copies make some packs long enough to cross as bytes
          const all = Array.from({ length: times + 1 }, () => texts).flat();
          const packed = packTexts(all);
          const arrived = sent(packed, packTransferables(packed));
          expect(unpackTexts(arrived)).toEqual(all);
        },
      ),
      { numRuns: 80 },
    );
  });

  it('packs texts long together as the bytes of one buffer, moved with their ends', () => {
    const latin = Array.from({ length: 400 }, (_, i) => (i % 5 === 4 ? null : `café ${i} `.repeat(50)));
    const other = latin.map((t) => (t === null ? null : `東京 ${t}`));
    for (const [texts, wire, width] of [
      [latin, 'latin1', 1],
      [other, 'utf16le', 2],
    ] as const) {
      const packed: PackedTexts = packTexts(texts);
      const chars = texts.reduce((n, t) => n + (t?.length ?? 0), 0);
      expect(chars).toBeGreaterThanOrEqual(WIRE_TEXT_CHARS);
      expect(packed.text).toMatchObject({ wire });
      if (typeof packed.text === 'string') throw new Error('not on the wire');
      expect(packed.text.bytes.byteLength).toBe(width * chars);
      const arrived = sent(packed, packTransferables(packed));
      // moved: the sender's buffers are detached
      expect(packed.text.bytes.buffer.byteLength).toBe(0);
      expect(packed.ends.buffer.byteLength).toBe(0);
      expect(unpackTexts(arrived)).toEqual(texts);
    }
  });

  it('packs texts short together as one string', () => {
    const packed = packTexts(['a@b.co', null, '', 'naïve 東京']);
    expect(packed.text).toBe('a@b.conaïve 東京');
    expect([...packed.ends]).toEqual([6, -1, 6, 14]);
    expect(unpackTexts(packed)).toEqual(['a@b.co', null, '', 'naïve 東京']);
  });
});
