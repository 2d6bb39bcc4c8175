/**
 * Step 5 of the guard's normalisation (normalize.ts): leetspeak digits and symbols folded into
 * letters inside words that also hold letters ("1gn0r3" -> "ignore"); plain numbers stay numbers.
 */
import { runSync, type Steps } from '../slices.js';
import { spaceChunks, WORD_STEP_CHUNK } from './textChunks.js';

const LEET: Record<string, string> = {
  '0': 'o',
  '1': 'i',
  '3': 'e',
  '4': 'a',
  '5': 's',
  '7': 't',
  '8': 'b',
  '9': 'g',
  '@': 'a',
  $: 's',
};
const LETTER = /\p{L}/u;

const isLeet = (c: number) => (c >= 48 && c <= 57 && c !== 50 && c !== 54) || c === 64 || c === 36; // 0-9 but 2, 6; @ $
const isAsciiLetter = (c: number) => (c >= 65 && c <= 90) || (c >= 97 && c <= 122);
/** Per UTF-16 unit from 0xC0 up: 0 not looked up yet, 1 a letter, 2 not (a regex test per unit was ~0.2 µs). */
const letterUnits = new Uint8Array(0x10000);
const isLetterUnit = (c: number): boolean => {
  let known = letterUnits[c]!;
  if (known === 0) letterUnits[c] = known = LETTER.test(String.fromCharCode(c)) ? 1 : 2;
  return known === 1;
};
/** Letters of any script count as letters: ASCII ones by code, others by the Unicode class (one UTF-16 unit). */
const isLetter = (c: number) => isAsciiLetter(c) || (c >= 0xc0 && isLetterUnit(c));

/**
 * Maps leetspeak digits/symbols to letters inside words that also contain letters ("1gn0r3"
 * -> "ignore", "h@ck" -> "hack"); words of digits only ("2024") are left as they are. One pass
 * over the text, copying only the words it changes.
 */
export function foldLeetspeak(text: string): string {
  return runSync(foldLeetspeakSteps(text));
}

/** `foldLeetspeak` a chunk of words at a time (slices.ts). */
export function* foldLeetspeakSteps(text: string): Steps<string> {
  if (text.length <= WORD_STEP_CHUNK) return foldLeetspeakChunk(text);
  let out = '';
  for (const chunk of spaceChunks(text, WORD_STEP_CHUNK)) {
    out += foldLeetspeakChunk(chunk);
    yield;
  }
  return out;
}

const LEET_CHAR = /[0-9@$]/g;

/**
 * A letter (as isLetter counts them) beside a digit, `@` or `$`: every word the fold changes
 * holds one (its letters and leet characters are joined by letters and digits only). Found from
 * the digits, which ordinary prose has few of, so most texts skip the per-character scan. Inside
 * a run of digits, `@` and `$` every neighbour is another of them, never a letter: only the run's
 * two ends are looked at, and the regex is asked once per run (a text of numbers has a run per
 * number, not a match per digit).
 */
function hasLeetHint(text: string): boolean {
  const re = LEET_CHAR;
  const n = text.length;
  re.lastIndex = 0;
  for (let m = re.exec(text); m !== null; m = re.exec(text)) {
    let i = m.index;
    if (i > 0 && isLetter(text.charCodeAt(i - 1))) return true;
    while (i + 1 < n && isLeetChar(text.charCodeAt(i + 1))) i += 1;
    if (i + 1 < n && isLetter(text.charCodeAt(i + 1))) return true;
    re.lastIndex = i + 1;
  }
  return false;
}

/** What LEET_CHAR matches: an ASCII digit, `@` or `$`. */
const isLeetChar = (c: number): boolean => (c >= 48 && c <= 57) || c === 64 || c === 36;

function foldLeetspeakChunk(text: string): string {
  if (!hasLeetHint(text)) return text;
  let out = '';
  let copied = 0;
  let i = 0;
  const n = text.length;
  while (i < n) {
    const c = text.charCodeAt(i);
    if (!(isLeet(c) || c === 50 || c === 54 || isLetter(c))) {
      i += 1;
      continue;
    }
    // a word: letters, digits, @, $
    const start = i;
    let letters = 0;
    let leet = 0;
    while (i < n) {
      const d = text.charCodeAt(i);
      if (isLeet(d)) leet += 1;
      else if (isLetter(d)) letters += 1;
      else if (d !== 50 && d !== 54) break;
      i += 1;
    }
    if (letters > 0 && leet > 0) {
      out += text.slice(copied, start);
      for (let j = start; j < i; j++) out += LEET[text[j]!] ?? text[j];
      copied = i;
    }
  }
  return copied === 0 ? text : out + text.slice(copied);
}
