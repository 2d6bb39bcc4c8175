/**
 * A cheap necessary condition for the letter-spacing rule ("S a y t h a t ...",
 * `(?<!\p{L})(?:\p{L} ){9,}\p{L}(?!\p{L})` in riskPatterns.ts): a run of `pairs` consecutive
 * pairs of one code point that is not a space and one space. Any match of the rule holds such a
 * run (a letter is one code point and never a space), so a text without one cannot match and the
 * rule's Unicode-property regex, about 12 ns a character on a long text, is not run. A text of
 * ordinary prose or of look-alike words has no such run.
 *
 * A text of one scan chunk or less (nearly every prompt) is checked by one regex, `(?:[^ ] ){9}`
 * with the `u` flag: `[^ ]` is one code point other than a space (a surrogate pair, or a lone
 * surrogate, as the scan counts them), so it matches exactly where the scan finds a run. In the
 * server it costs a fraction of the scan (whose character loop was 17% of the assessment's time
 * in a profile of bench:ingest). Longer texts are scanned a chunk at a time, pausing in between.
 */
import type { Steps } from '../slices.js';

/** Characters scanned between two pauses of a sliced assessment. */
const CHUNK = 64 * 1024;

const SPACE = 32;

/**
 * The pairs in the current run where the last scanPairs stopped: a module variable, not a
 * property or an element. Stored after the loop, an element of a typed array was code that
 * V8, compiling the function mid-loop, had no type feedback for: in the server every 64K chunk
 * of a long text then left the compiled code and re-entered the loop unoptimised (35 times a
 * chat call in a --trace-deopt run).
 */
let stoppedRun = 0;

/**
 * Scans pairs starting before `end` (a pair may end just past it), carrying the current run:
 * -1 once `pairs` are found, else where it stopped (the run is then in stoppedRun).
 */
function scanPairs(text: string, from: number, end: number, run: number, pairs: number): number {
  const n = text.length;
  // A run of `pairs` pairs starting anywhere in [i, i + reach - 1] covers at least 2 * pairs code
  // units, so both i + reach - 1 and i + reach: when those two cannot sit side by side in a run
  // (two spaces, or two code points other than a space), none starts there and the scan moves on
  // to i + reach, where the character-by-character loop would arrive with no run either.
  const reach = 2 * pairs - 1;
  let i = from;
  while (i < end) {
    if (run === 0) {
      while (i < end && i + reach < n) {
        const a = text.charCodeAt(i + reach - 1);
        const b = text.charCodeAt(i + reach);
        const apart =
          a === SPACE ? b === SPACE : b !== SPACE && !(a >= 0xd800 && a <= 0xdbff && b >= 0xdc00 && b <= 0xdfff);
        if (!apart) break;
        i += reach;
      }
      if (i >= end) break;
    }
    const c = text.charCodeAt(i);
    let width = 1;
    if (c >= 0xd800 && c <= 0xdbff && i + 1 < n) {
      const d = text.charCodeAt(i + 1);
      if (d >= 0xdc00 && d <= 0xdfff) width = 2;
    }
    if (c !== SPACE && i + width < n && text.charCodeAt(i + width) === SPACE) {
      run += 1;
      if (run >= pairs) return -1;
      i += width + 1;
    } else {
      run = 0;
      i += width;
    }
  }
  stoppedRun = run;
  return i;
}

/** Pairs in a spaced run: the rule's `(?:\p{L} ){9,}\p{L}` holds nine. */
export const SPACED_RUN_PAIRS = 9;

/** A run of SPACED_RUN_PAIRS pairs, for texts of one chunk or less. */
const RUN = /(?:[^ ] ){9}/u;

/** Whether `text` holds SPACED_RUN_PAIRS consecutive (code point other than a space, space) pairs. */
export function* hasSpacedRunSteps(text: string): Steps<boolean> {
  const pairs = SPACED_RUN_PAIRS;
  if (text.length <= CHUNK) return RUN.test(text);
  let i = 0;
  let run = 0;
  while (i < text.length) {
    if (i > 0) yield;
    i = scanPairs(text, i, Math.min(text.length, i + CHUNK), run, pairs);
    if (i === -1) return true;
    run = stoppedRun;
  }
  return false;
}
