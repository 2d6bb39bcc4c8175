/**
 * Look-alike letters: Cyrillic and Greek letters that render like Latin ones, folded to Latin
 * inside words written in Latin (one step of normalize.ts).
 */
import { runSync, type Steps } from '../slices.js';
import { spaceChunks, WORD_STEP_CHUNK } from './textChunks.js';

/** Cyrillic and Greek letters that render like Latin ones (lower and upper case). */
const CONFUSABLES: Record<string, string> = {
  // Cyrillic
  а: 'a',
  в: 'b',
  е: 'e',
  ё: 'e',
  к: 'k',
  м: 'm',
  н: 'h',
  о: 'o',
  р: 'p',
  с: 'c',
  т: 't',
  у: 'y',
  х: 'x',
  ѕ: 's',
  і: 'i',
  ї: 'i',
  ј: 'j',
  ԁ: 'd',
  һ: 'h',
  ԛ: 'q',
  ԝ: 'w',
  ɡ: 'g',
  ӏ: 'l',
  ү: 'y',
  п: 'n',
  А: 'a',
  В: 'b',
  Е: 'e',
  Ё: 'e',
  К: 'k',
  М: 'm',
  Н: 'h',
  О: 'o',
  Р: 'p',
  С: 'c',
  Т: 't',
  У: 'y',
  Х: 'x',
  Ѕ: 's',
  І: 'i',
  Ї: 'i',
  Ј: 'j',
  Ԁ: 'd',
  Һ: 'h',
  Ԛ: 'q',
  Ԝ: 'w',
  Ӏ: 'l',
  Ү: 'y',
  // Greek
  α: 'a',
  β: 'b',
  ε: 'e',
  η: 'n',
  ι: 'i',
  κ: 'k',
  ν: 'v',
  ο: 'o',
  ρ: 'p',
  τ: 't',
  υ: 'u',
  χ: 'x',
  γ: 'y',
  ω: 'w',
  ς: 's',
  Α: 'a',
  Β: 'b',
  Ε: 'e',
  Ζ: 'z',
  Η: 'h',
  Ι: 'i',
  Κ: 'k',
  Μ: 'm',
  Ν: 'n',
  Ο: 'o',
  Ρ: 'p',
  Τ: 't',
  Υ: 'y',
  Χ: 'x',
};
const CONFUSABLE_CHARS = new RegExp(`[${Object.keys(CONFUSABLES).join('')}]`, 'u');
const LATIN = /[a-zA-Z\u00C0-\u024F]/;
const NON_LATIN_LETTER = /(?!\p{Script=Latin})\p{L}/u;
/** A letter of another script than Latin that has no Latin twin in CONFUSABLES. */
const OTHER_LETTER = new RegExp(`(?![${Object.keys(CONFUSABLES).join('')}])(?!\\p{Script=Latin})\\p{L}`, 'u');

/** Distinct words a fold remembers (foldConfusablesSteps); past them, words are folded each time. */
const FOLDED_WORDS = 4096;

/**
 * Folds look-alike Cyrillic/Greek letters to Latin in words that are written mostly in Latin
 * letters, or made only of look-alikes; genuine Russian or Greek words are left alone.
 */
export function foldConfusables(text: string): string {
  return runSync(foldConfusablesSteps(text));
}

/** `foldConfusables` a chunk of words at a time (slices.ts); the context is the whole text's. */
export function* foldConfusablesSteps(text: string): Steps<string> {
  if (!CONFUSABLE_CHARS.test(text)) return text;
  // Computed once, on the first word that needs it: per word it made the fold quadratic
  // (80 KB of "ор a " took 87 s).
  let latinContext: boolean | undefined;
  const foldWord = (word: string): string => {
    let confusable = 0;
    let otherForeign = 0;
    let latin = 0;
    for (const ch of word) {
      if (CONFUSABLES[ch] !== undefined) confusable += 1;
      else if (LATIN.test(ch)) latin += 1;
      else if (NON_LATIN_LETTER.test(ch)) otherForeign += 1;
    }
    // A real Cyrillic/Greek word has letters without a Latin twin (д, ж, λ, ...) or no Latin at all.
    if (otherForeign > 0 || (latin === 0 && confusable < word.length)) return word;
    if (latin === 0 && !(latinContext ??= onlyLatinContext(text))) return word;
    let out = '';
    for (const ch of word) out += CONFUSABLES[ch] ?? ch;
    return out;
  };
  // A word's fold depends on the word and this text's context only: a text repeats its words
  // (a crafted megabyte one word 200,000 times), so each distinct word is folded once.
  const folded = new Map<string, string>();
  const fold = (word: string): string => {
    let out = folded.get(word);
    if (out === undefined) {
      out = foldWord(word);
      if (folded.size < FOLDED_WORDS) folded.set(word, out);
    }
    return out;
  };
  if (text.length <= WORD_STEP_CHUNK) return foldConfusableWords(text, fold);
  let out = '';
  for (const chunk of spaceChunks(text, WORD_STEP_CHUNK)) {
    out += foldConfusableWords(chunk, fold);
    yield;
  }
  return out;
}

const CONFUSABLE_CHAR_G = new RegExp(CONFUSABLE_CHARS.source, 'gu');
// foldConfusableWords takes a match to be the one code unit before lastIndex
if (Object.keys(CONFUSABLES).some((ch) => ch.length !== 1)) throw new Error('a look-alike outside the BMP');
/** A character of a word: letters (any script), marks, digits and the leetspeak symbols. */
const WORD_CHAR = /^[\p{L}\p{M}\p{N}@$]$/u;

/**
 * WORD_CHAR's answer for each code point of the Basic Multilingual Plane met so far: 0 not asked
 * yet, 1 a word character, 2 not. A megabyte of Cyrillic words asked the regex, with a string
 * made for it, for every letter.
 */
const WORD_BMP = new Uint8Array(0x10000);

/** Whether the code point `cp` is a WORD character (ASCII by code, the rest by its class). */
function isWordCodePoint(cp: number): boolean {
  if (cp < 0x80) return (cp >= 48 && cp <= 57) || ((cp | 32) >= 97 && (cp | 32) <= 122) || cp === 64 || cp === 36;
  if (cp > 0xffff) return WORD_CHAR.test(String.fromCodePoint(cp));
  let known = WORD_BMP[cp]!;
  if (known === 0) {
    known = WORD_CHAR.test(String.fromCharCode(cp)) ? 1 : 2;
    WORD_BMP[cp] = known;
  }
  return known === 1;
}

/**
 * `text.replace(/[\p{L}\p{M}\p{N}@$]+/gu, fold)` for the words holding a look-alike letter only, found from the
 * look-alikes themselves: the other words are left as they are without a call per word (a
 * 1 KB prompt with one Cyrillic phrase spent most of its normalisation in those calls).
 */
function foldConfusableWords(text: string, fold: (word: string) => string): string {
  let out = '';
  let copied = 0;
  const re = CONFUSABLE_CHAR_G;
  re.lastIndex = 0;
  // `test`, not `exec`: every look-alike is one code unit, so the match is the unit before
  // lastIndex, and no match array is made for each
  while (re.test(text)) {
    const at = re.lastIndex - 1;
    let start = at;
    while (start > copied) {
      const low = text.charCodeAt(start - 1);
      const pair = low >= 0xdc00 && low <= 0xdfff && start - 2 >= copied;
      const cp = pair ? text.codePointAt(start - 2)! : low;
      if ((pair && cp <= 0xffff) || !isWordCodePoint(cp)) break;
      start -= pair ? 2 : 1;
    }
    let end = at + 1;
    while (end < text.length) {
      const cp = text.codePointAt(end)!;
      if (!isWordCodePoint(cp)) break;
      end += cp > 0xffff ? 2 : 1;
    }
    out += text.slice(copied, start) + fold(text.slice(start, end));
    copied = end;
    re.lastIndex = end;
  }
  return copied === 0 ? text : out + text.slice(copied);
}

/**
 * The text's letters are mostly Latin: a word of look-alikes in it is a disguise. (Some Latin
 * letter, and no letter of another script without a Latin twin: two regex scans, where a loop
 * testing each character took ~20 ms on 256 KB and ran inside one word's fold.)
 */
function onlyLatinContext(text: string): boolean {
  return LATIN.test(text) && !OTHER_LETTER.test(text);
}
