/**
 * A Latin-1 text redacted into bytes (domain/risk/piiRedaction.ts: a long one by redactLatin1Steps,
 * a short one with many spans into a reused buffer): the same text as replacing each span by its
 * placeholder, for any spans; and so is every other text's redaction.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { PII_TYPES, scanPii, type PiiScan, type PiiSpans } from '../../src/domain/risk/pii.js';
import {
  BYTE_REDACTION_CHARS,
  PII_PLACEHOLDERS,
  redactLatin1Steps,
  redactScanSteps,
} from '../../src/domain/risk/piiRedaction.js';
import { runSync } from '../../src/domain/slices.js';

/** The redaction by its definition: each span replaced by its type's placeholder. */
function reference(text: string, spans: PiiSpans): string {
  let out = '';
  let cursor = 0;
  for (let i = 0; i < spans.count; i++) {
    out += text.slice(cursor, spans.start[i]) + PII_PLACEHOLDERS[PII_TYPES[spans.type[i]!]!];
    cursor = spans.end[i]!;
  }
  return out + text.slice(cursor);
}

const latin1 = fc.string({ unit: fc.constantFrom('a', ' ', 'é', '\u00ff', '\u0000', '@', '\n'), maxLength: 400 });

/** Non-overlapping spans in text order over a text of `length` characters. */
const spansOver = (length: number) =>
  fc
    .uniqueArray(fc.integer({ min: 0, max: length }), { maxLength: 60 })
    .chain((cuts) => {
      const sorted = [...cuts].sort((a, b) => a - b);
      const pairs: [number, number][] = [];
      for (let i = 0; i + 1 < sorted.length; i += 2) pairs.push([sorted[i]!, sorted[i + 1]!]);
      return fc.tuple(
        fc.constant(pairs),
        fc.array(fc.nat(PII_TYPES.length - 1), { minLength: pairs.length, maxLength: pairs.length }),
      );
    })
    .map(([pairs, types]): PiiSpans => ({
      count: pairs.length,
      start: Int32Array.from(pairs, (p) => p[0]),
      end: Int32Array.from(pairs, (p) => p[1]),
      type: Uint8Array.from(types),
      unverified: new Uint8Array(pairs.length),
    }));

describe('redactLatin1Steps', () => {
  it('writes what replacing each span by its placeholder gives, for any Latin-1 text and spans', () => {
    fc.assert(
      fc.property(
        latin1.chain((text) => fc.tuple(fc.constant(text), spansOver(text.length))),
        ([text, spans]) => {
          const { bytes, types } = runSync(redactLatin1Steps(text, spans));
          expect(bytes.toString('latin1')).toBe(reference(text, spans));
          const met = [...new Set(Array.from(spans.type, (t) => PII_TYPES[t]!))];
          expect(types).toEqual(met);
        },
      ),
      { numRuns: 2000 },
    );
  });

  it('is how a long Latin-1 text is redacted, with long and short gaps between matches', () => {
    const unit = 'mail a@b.co or jane.doe@example.com, café +1 415 555 2671 ' + 'x'.repeat(120) + ' ';
    const text = unit.repeat(Math.ceil(BYTE_REDACTION_CHARS / unit.length) + 1);
    const scan = scanPii(text);
    expect(scan.spans.count).toBeGreaterThan(1_000);
    const redacted = runSync(redactScanSteps(text, scan));
    expect(redacted.text).toBe(reference(text, scan.spans));
    expect(redacted.types).toEqual(expect.arrayContaining(['email', 'phone']));
  });

  it('redacts any short text, Latin-1 or not, with few spans or many, as replacing each span gives', () => {
    const anyText = fc.oneof(
      latin1,
      fc.string({ unit: fc.constantFrom('a', ' ', 'é', '\u20ac', '\ud83d', '\ude00', '@'), maxLength: 400 }),
    );
    fc.assert(
      fc.property(
        anyText.chain((text) => fc.tuple(fc.constant(text), spansOver(text.length))),
        ([text, spans]) => {
          // the scan's other fields are not read by the redaction
          const redacted = runSync(redactScanSteps(text, { spans } as unknown as PiiScan));
          expect(redacted.text).toBe(reference(text, spans));
          expect(redacted.types).toEqual([...new Set(Array.from(spans.type, (t) => PII_TYPES[t]!))]);
        },
      ),
      { numRuns: 3000 },
    );
  });

  it('gives each short text its own redaction when many are redacted one after another', () => {
    // The buffer is reused: a redaction read back must not change with the next one.
    const texts = Array.from({ length: 50 }, (_, i) =>
      `item ${i}: call +1 415 555 ${String(1000 + i)} or x${i}@ex.com `.repeat(10),
    );
    const redacted = texts.map((text) => runSync(redactScanSteps(text, scanPii(text))).text);
    texts.forEach((text, i) => expect(redacted[i]).toBe(reference(text, scanPii(text).spans)));
    expect(new Set(redacted).size).toBe(50);
  });
});
