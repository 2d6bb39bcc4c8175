/**
 * The direct paths' body decoding (utils/jsonBody.ts decodeBody): pure ASCII is decoded as
 * Latin-1 for speed, which must give exactly the string UTF-8 decoding gives, for every body.
 */
import { describe, expect, it } from 'vitest';
import { decodeBody } from '../../src/utils/jsonBody.js';

/** Seeded bytes: mostly ASCII, with multi-byte characters, invalid sequences and high bytes mixed in. */
function randomBytes(seed: number, length: number, asciiOnly: boolean): Buffer {
  let x = seed >>> 0 || 1;
  const next = () => {
    x ^= x << 13;
    x ^= x >>> 17;
    x ^= x << 5;
    return (x >>> 0) / 2 ** 32;
  };
  const parts: Buffer[] = [];
  let size = 0;
  while (size < length) {
    const r = next();
    let part: Buffer;
    if (asciiOnly || r < 0.7) part = Buffer.from([Math.floor(next() * 128)]);
    else if (r < 0.8) part = Buffer.from(['é', '€', '😀', 'ß', 'о', '\uFDFA'][Math.floor(next() * 6)]!);
    else if (r < 0.9)
      part = Buffer.from([0x80 + Math.floor(next() * 128)]); // a stray continuation or lead byte
    else part = Buffer.from('😀').subarray(0, 1 + Math.floor(next() * 3)); // a truncated sequence
    parts.push(part);
    size += part.length;
  }
  return Buffer.concat(parts);
}

describe('decodeBody', () => {
  it('should give what UTF-8 decoding gives for ASCII, multi-byte, invalid and truncated input', () => {
    for (let seed = 1; seed <= 300; seed++) {
      for (const asciiOnly of [true, false]) {
        const raw = randomBytes(seed, 1 + (seed % 97) * 13, asciiOnly);
        expect(decodeBody(raw)).toBe(raw.toString('utf8'));
      }
    }
  });

  it('should keep a byte-order mark and a NUL as UTF-8 decoding does', () => {
    for (const text of ['\uFEFF{"a":1}', '{"a":"\u0000"}', '', '{"prompt":"Grüße"}']) {
      const raw = Buffer.from(text);
      expect(decodeBody(raw)).toBe(text);
    }
    // a lone 0xFF is not ASCII: decoded as UTF-8, it becomes U+FFFD, not "ÿ"
    expect(decodeBody(Buffer.from([0x7b, 0xff, 0x7d]))).toBe('{\uFFFD}');
  });
});
