/**
 * Whether a text holds a run of at least `length` consecutive characters of an ASCII alphabet:
 * the cheap necessary condition two detectors check before their regex scans a long text (a
 * base64 payload, encodedPayload.ts; a card number, piiDetectors.ts).
 */
import type { Steps } from '../slices.js';

/** An ASCII alphabet as a lookup table over char codes. */
export function alphabet(chars: string): Uint8Array {
  const table = new Uint8Array(128);
  for (const ch of chars) table[ch.charCodeAt(0)] = 1;
  return table;
}

/** Characters a run may start within between two pauses. */
const LOOP_CHUNK = 64 * 1024;

/** Where the last runBefore stopped: [its result, checkedTo) are all in the alphabet. */
let checkedTo = 0;

/**
 * Looks for a run of `length` characters of `table` starting at `runStart` or later, where
 * [runStart, known) are in it already, until the next candidate start reaches `stop`: -1 once
 * found, else the next candidate start (and checkedTo where the known characters end).
 *
 * It reads a candidate run from its last character backwards: where that meets a character
 * outside the alphabet, no run can start at or before it, and the next candidate starts right
 * after it. Prose, digits and phone numbers have such a character every few characters, so
 * most characters are never read (a loop over every character cost 4-5 ms of a thousand-message
 * chat call's 100 ms assessment); every character is read at most once. A plain function, so the
 * loop is compiled as one; the state it returns is a module variable rather than a property
 * (see spacedRuns.ts stoppedRun).
 */
function runBefore(
  text: string,
  table: Uint8Array,
  runStart: number,
  known: number,
  stop: number,
  length: number,
): number {
  const n = text.length;
  let start = runStart;
  while (start < stop && start + length <= n) {
    const last = start + length - 1;
    let k = last;
    while (k >= known) {
      const c = text.charCodeAt(k);
      if (c >= 128 || table[c] !== 1) break;
      k--;
    }
    if (k < known) return -1;
    start = k + 1;
    known = last + 1;
  }
  checkedTo = known;
  return start;
}

/** Whether `text` has a run of at least `length` characters of `table`, pausing between chunks. */
export function* hasRunSteps(text: string, table: Uint8Array, length: number): Steps<boolean> {
  let start = 0;
  let known = 0;
  for (let stop = LOOP_CHUNK; start + length <= text.length; stop += LOOP_CHUNK) {
    if (stop > LOOP_CHUNK) yield;
    start = runBefore(text, table, start, known, stop, length);
    if (start === -1) return true;
    known = checkedTo;
  }
  return false;
}
