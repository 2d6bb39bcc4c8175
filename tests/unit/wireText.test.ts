/**
 * Long texts crossing to and from the assessment's worker threads as bytes (services/ingest/wireText.ts):
 * every text comes back character for character, and a long one's buffer is moved, not copied.
 */
import { MessageChannel, receiveMessageOnPort } from 'node:worker_threads';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  textFromWire,
  textToWire,
  transferablesOf,
  WIRE_TEXT_CHARS,
  type TextOnWire,
} from '../../src/services/ingest/wireText.js';

/** `text` sent through a real MessageChannel as the workers send it. */
function crossed(text: TextOnWire): TextOnWire {
  const { port1, port2 } = new MessageChannel();
  try {
    port1.postMessage(text, transferablesOf(text));
    return receiveMessageOnPort(port2)!.message as TextOnWire;
  } finally {
    port1.close();
  }
}

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
});
