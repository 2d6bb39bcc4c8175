/**
 * The merge of the detectors' match lists into one scan (domain/risk/pii.ts mergeSteps): the same
 * spans as sorting everything found (stably, by start, then longest first) and keeping each match
 * that starts at or after the end of the last one kept, for any lists in detector order, one list
 * or many; and the lists' arrays, handed on to later scans, never change a scan already made.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { Budget, mergeSteps, PII_TYPES, scanPii, type PiiSpans } from '../../src/domain/risk/pii.js';
import { MatchList } from '../../src/domain/risk/piiMatches.js';
import { runSync } from '../../src/domain/slices.js';

interface Found {
  start: number;
  end: number;
  type: number;
  unverified: number;
}

/** One detector's finds: in its order (by start, then longest first), overlaps allowed. */
const detectorFinds = fc
  .array(fc.tuple(fc.nat(300), fc.integer({ min: 1, max: 30 }), fc.boolean()), { maxLength: 40 })
  .map((xs) =>
    xs.map(([start, length, unverified]) => ({ start, end: start + length, unverified: unverified ? 1 : 0 })),
  )
  .map((xs) => xs.sort((a, b) => a.start - b.start || b.end - a.end));

/** The merge by its definition. */
function reference(found: Found[]): Found[] {
  const sorted = [...found].sort((a, b) => a.start - b.start || b.end - a.end); // stable
  const kept: Found[] = [];
  let lastEnd = -1;
  for (const f of sorted) {
    if (f.start < lastEnd) continue;
    kept.push(f);
    lastEnd = f.end;
  }
  return kept;
}

const asFound = (spans: PiiSpans): Found[] =>
  Array.from({ length: spans.count }, (_, i) => ({
    start: spans.start[i]!,
    end: spans.end[i]!,
    type: spans.type[i]!,
    unverified: spans.unverified[i]!,
  }));

describe('mergeSteps', () => {
  it('keeps what sorting everything found and dropping overlaps keeps, for one list or many', () => {
    fc.assert(
      fc.property(
        fc.array(fc.tuple(fc.nat(PII_TYPES.length - 1), detectorFinds), { minLength: 1, maxLength: 4 }),
        (detectors) => {
          const lists = detectors.map(([type, finds]) => {
            const list = new MatchList(PII_TYPES[type]!);
            for (const f of finds) list.push(f.start, f.end, f.unverified === 1);
            return list;
          });
          const all = detectors.flatMap(([type, finds]) => finds.map((f) => ({ ...f, type })));
          const scan = runSync(mergeSteps('x'.repeat(400), lists, new Budget(10)));
          const expected = reference(all);
          expect(asFound(scan.spans)).toEqual(expected);
          expect(scan.types).toEqual([...new Set(expected.map((f) => PII_TYPES[f.type]!))]);
          // the lists are handed back, empty
          for (const list of lists) expect(list.length).toBe(0);
        },
      ),
      { numRuns: 3000 },
    );
  });

  it('leaves a scan as it was while later scans reuse the arrays its lists had', () => {
    // one kind alone (a copy of its list) and several kinds (the k-way merge)
    const kinds = [
      (i: number) => `+1 415 555 ${1000 + i} `,
      (i: number) => `x${i}@b.co `,
      (i: number) => `+1 415 555 ${1000 + i} x${i}@b.co 123-45-${6700 + i} `,
    ];
    const texts = Array.from({ length: 60 }, (_, i) => kinds[i % 3]!(i).repeat(1 + (i % 50)));
    const scans = texts.map((text) => scanPii(text));
    const seen = scans.map((scan) => JSON.stringify(asFound(scan.spans)));
    // more scans of other texts, whose lists take the arrays handed back
    for (const text of texts) scanPii(text.split('').reverse().join(''));
    scans.forEach((scan, i) => expect(JSON.stringify(asFound(scan.spans))).toBe(seen[i]));
    // and each is what a fresh scan of its text finds
    texts.forEach((text, i) => expect(JSON.stringify(asFound(scanPii(text).spans))).toBe(seen[i]));
  });
});
