/**
 * The runs checked before a detector's regex scans a text (domain/risk/charRuns.ts): whether a
 * text holds a run of base64 characters this long (encodedPayload.ts hasBase64Run), as the regex
 * says, for short texts and for long ones scanned a chunk at a time, with runs across the chunks'
 * edges; and that a text the card regex matches always holds the run of card characters that
 * piiDetectors.ts asks for before running it (so skipping the regex changes no scan).
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { hasRunSteps } from '../../src/domain/risk/charRuns.js';
import { hasBase64Run } from '../../src/domain/risk/encodedPayload.js';
import { scanPii } from '../../src/domain/risk/pii.js';
import { CARD_CHARS, CARD_MIN_CHARS } from '../../src/domain/risk/piiDetectors.js';
import { CARD_CANDIDATE } from '../../src/domain/risk/piiPatterns.js';
import { runSliced, runSync } from '../../src/domain/slices.js';

/** The answer by the regex: the longest run of the alphabet is at least `length`. */
const byRegex = (text: string, length: number) =>
  [...text.matchAll(/[A-Za-z0-9+/]+/g)].some((m) => m[0].length >= length);

/** Pieces of base64 runs and of what breaks them, so that runs near the length are common. */
const piece = fc.oneof(
  fc.string({ unit: fc.constantFrom('A', 'z', '9', '+', '/'), maxLength: 45 }),
  fc.constantFrom(' ', '=', 'é', '-', '\n', '\u20ac', '_'),
);

describe('hasBase64Run', () => {
  it('answers as the regex does on short texts, for any run length', () => {
    fc.assert(
      fc.property(fc.array(piece, { maxLength: 30 }), fc.integer({ min: 1, max: 60 }), (pieces, length) => {
        const text = pieces.join('');
        expect(runSync(hasBase64Run(text, length))).toBe(byRegex(text, length));
      }),
      { numRuns: 5000 },
    );
  });

  it('answers as the regex does on long texts, with a run anywhere, across a chunk edge too', () => {
    const CHUNK = 64 * 1024;
    fc.assert(
      fc.property(
        fc.constantFrom('word ', '+1 415 555 0134 ', 'a@b.co ', 'x'.repeat(39) + ' ', 'é'),
        fc.integer({ min: 1, max: 3 * CHUNK }),
        fc.integer({ min: 30, max: 50 }),
        fc.boolean(),
        (filler, at, runLength, planted) => {
          const base = filler.repeat(Math.ceil((3 * CHUNK + 100) / filler.length));
          const text = planted ? base.slice(0, at) + ' ' + 'Q'.repeat(runLength) + ' ' + base.slice(at) : base;
          expect(runSync(hasBase64Run(text, 40))).toBe(byRegex(text, 40));
        },
      ),
      { numRuns: 300 },
    );
  });

  it('gives each of two long texts scanned in turn, sliced, its own answer', async () => {
    const CHUNK = 64 * 1024;
    const without = 'x'.repeat(39) + ' ';
    const a = without.repeat(Math.ceil((4 * CHUNK) / 40));
    const b = a.slice(0, 2 * CHUNK - 20) + 'Q'.repeat(40) + a.slice(2 * CHUNK - 20);
    const [ra, rb] = await Promise.all([runSliced(hasBase64Run(a, 40), 0), runSliced(hasBase64Run(b, 40), 0)]);
    expect([ra, rb]).toEqual([false, true]);
  });

  it('finds a run of 14 card characters in every text the card regex matches, and the same cards', () => {
    const unit = fc.constantFrom(
      '4111 1111 1111 1111',
      '4242-4242-4242-4242',
      '378282246310005',
      '30569309025904',
      '5',
      '3',
      '0',
      ' ',
      '-',
      '.',
      ',',
      '+',
      'a',
      '12345',
      '6011',
    );
    let matched = 0;
    fc.assert(
      fc.property(fc.array(unit, { maxLength: 24 }), (units) => {
        const text = units.join('');
        CARD_CANDIDATE.lastIndex = 0;
        const regexMatches = CARD_CANDIDATE.test(text);
        const run = runSync(hasRunSteps(text, CARD_CHARS, CARD_MIN_CHARS));
        if (regexMatches) {
          matched++;
          expect(run).toBe(true);
        }
        // whatever the run check says, the cards found are those of the regex and the validator
        const cards = scanPii(text).matches.filter((m) => m.type === 'credit_card');
        if (!run) expect(cards).toEqual([]);
      }),
      { numRuns: 5000 },
    );
    expect(matched).toBeGreaterThan(500);
  });
});
