/**
 * The PII detectors (pii.ts merges what they find into one scan): each kind's candidates found
 * by a cheap regex or a character scan, checked by its validator within the per-kind budget,
 * and collected into a typed-array match list per detector. pii.ts's module comment explains
 * the libraries, the candidate shapes and the budget.
 */
import validator from 'validator';
import {
  CARD_CANDIDATE,
  EMAIL_DOMAIN,
  EMAIL_LOCAL,
  IBAN_CANDIDATE,
  inTable,
  isCardShaped,
  isPhoneShaped,
  isValidPhone,
  looksRandom,
  PEM_BEGIN,
  PEM_BODY,
  PEM_MAX_BODY,
  PHONE_CANDIDATE,
  phoneShape,
  SECRET_PATTERNS,
  SSN,
  validIbanPrefix,
} from './piiPatterns.js';
import { alphabet, hasRunSteps } from './charRuns.js';
import { anyLiteral } from './regexTriggers.js';
import { Every, type Steps } from '../slices.js';
import { type Budget, MatchList, type PiiType } from './piiMatches.js';

/** Where a scan of one global regex stands; the consumer may move `next` on (a retry, a skip). */
interface Cursor {
  next: number;
}

/**
 * The first match of global `re` in `text` at or after `from`. `re.lastIndex` is set just before
 * the exec: a sliced scan pauses between matches, and another scan with the same regex may run
 * during the pause. The detectors that meet most candidates call this in a plain loop rather than
 * iterating regexMatches: 190,000 phone-like candidates in a chat call's messages spent ~8 ms a
 * call resuming the generator.
 */
function execAt(re: RegExp, text: string, from: number): RegExpExecArray | null {
  re.lastIndex = from;
  return re.exec(text);
}

/** The next match of `re` after `m` (execAt from the end of `m`). */
const execAfter = (re: RegExp, text: string, m: RegExpExecArray): RegExpExecArray | null =>
  execAt(re, text, m.index + m[0].length);

/**
 * The matches of global `re` in `text`. The position lives in `cursor`, not in the shared
 * `re.lastIndex`, which is set just before each exec: a sliced scan pauses between matches,
 * and another scan with the same regex may run during the pause.
 */
function* regexMatches(re: RegExp, text: string, cursor: Cursor = { next: 0 }): Generator<RegExpExecArray> {
  for (;;) {
    re.lastIndex = cursor.next;
    const m = re.exec(text);
    if (!m) return;
    cursor.next = re.lastIndex;
    yield m;
  }
}

/** Candidates between two pause points of a sliced scan (~1 ms of validator calls at most). */
const CANDIDATES_PER_SLICE = 64;

/** Expands around each '@'; every character is visited at most twice, so this is linear. */
/** Whether text[start, end) ends in a dot and two or more ASCII letters (`/\.[A-Za-z]{2,}$/`). */
export function endsWithTld(text: string, start: number, end: number): boolean {
  let i = end - 1;
  while (i >= start && isAsciiLetter(text.charCodeAt(i))) i -= 1;
  return end - 1 - i >= 2 && i >= start && text.charCodeAt(i) === 46;
}

const isAsciiLetter = (c: number): boolean => (c >= 65 && c <= 90) || (c >= 97 && c <= 122);

function* findEmails(text: string, out: MatchList, budget: Budget): Steps<void> {
  const slice = new Every(CANDIDATES_PER_SLICE);
  for (let at = text.indexOf('@'); at !== -1; at = text.indexOf('@', at + 1)) {
    if (slice.tick()) yield;
    let start = at;
    while (start > 0 && at - start < 64 && inTable(EMAIL_LOCAL, text.charCodeAt(start - 1))) start -= 1;
    let end = at + 1;
    while (end < text.length && end - at < 254 && inTable(EMAIL_DOMAIN, text.charCodeAt(end))) end += 1;
    while (start < at && text.charCodeAt(start) === 46) start += 1; // '.'
    while (end > at + 1 && (text.charCodeAt(end - 1) === 46 || text.charCodeAt(end - 1) === 45)) end -= 1; // '.' '-'
    if (start >= at || !endsWithTld(text, start, end)) continue;
    if (!budget.allow('email')) out.push(start, end, true);
    else if (validator.isEmail(text.slice(start, end))) out.push(start, end);
  }
}

function* findPem(text: string, out: MatchList): Steps<void> {
  let nextEnd = -2; // cached position of the next END marker, so many BEGINs stay linear
  const cursor = { next: 0 };
  const slice = new Every(CANDIDATES_PER_SLICE);
  for (const m of regexMatches(PEM_BEGIN, text, cursor)) {
    if (slice.tick()) yield;
    const bodyStart = m.index + m[0].length;
    if (nextEnd !== -1 && nextEnd < bodyStart) nextEnd = text.indexOf('-----END ', bodyStart);
    let end: number;
    if (nextEnd !== -1 && nextEnd - bodyStart <= PEM_MAX_BODY) {
      const close = text.indexOf('-----', nextEnd + 9);
      end = close === -1 ? text.length : close + 5;
    } else {
      // Truncated block: the base64 lines that follow are the leaked key material.
      PEM_BODY.lastIndex = bodyStart;
      end = bodyStart + (PEM_BODY.exec(text)?.[0].length ?? 0);
    }
    out.push(m.index, end);
    cursor.next = Math.max(cursor.next, end);
  }
}

/**
 * Whether the text holds a PEM header or any vendor prefix above, in one scan: most texts hold
 * none. (Should a format ever give no literals, every text counts as holding one.)
 */
const hasSecretLiteral: (text: string) => boolean = SECRET_PATTERNS.every((p) => p.needs)
  ? RegExp.prototype.test.bind(anyLiteral(['-----BEGIN ', ...SECRET_PATTERNS.flatMap((p) => p.needs!)]))
  : () => true;

const ANY_DIGIT = /\d/;

/** Characters a plain character loop looks at between two pauses. */
const LOOP_CHUNK = 64 * 1024;

/** What a card candidate is made of (CARD_CANDIDATE: digits, single spaces or dashes between them). */
export const CARD_CHARS = alphabet('0123456789 -');
/**
 * The fewest characters a card candidate has: 14 digits. A text without a run of that many
 * CARD_CHARS has none, and the card regex is not run on it: on 2 MB of phone-like numbers it
 * tried every digit from 2 to 6 (9 ms of a thousand-message chat call's 92 ms assessment).
 */
export const CARD_MIN_CHARS = 14;

/** The most digits a detector needs (a card's 14): counting stops there. */
const DIGITS_NEEDED = 14;

/**
 * ASCII digits in `text` (what `\d` matches in these non-unicode regexes), up to DIGITS_NEEDED:
 * a text of numbers is known to have enough after its first few, not after a scan of 1 MB.
 */
function* countDigits(text: string): Steps<number> {
  let n = 0;
  for (let from = 0; from < text.length && n < DIGITS_NEEDED; from += LOOP_CHUNK) {
    if (from > 0) yield;
    n = digitsIn(text, from, Math.min(text.length, from + LOOP_CHUNK), n);
  }
  return n;
}

/** `n` plus the ASCII digits of text[from, to), stopping at DIGITS_NEEDED (a plain, compiled loop). */
function digitsIn(text: string, from: number, to: number, n: number): number {
  for (let i = from; i < to; i++) {
    const c = text.charCodeAt(i);
    if (c >= 48 && c <= 57 && ++n >= DIGITS_NEEDED) return n;
  }
  return n;
}

/**
 * A new match list, added to `lists`. A function of the module rather than a closure in
 * `collect`: `npm start` runs the source through tsx, whose name-keeping helper gives every
 * closure made at run time its name with a defineProperty (quotaService.ts PlanCounter).
 */
function newList(lists: MatchList[], type: PiiType): MatchList {
  const created = new MatchList(type);
  lists.push(created);
  return created;
}

/**
 * Every detector whose matches need something the text lacks is skipped: a PEM header, a
 * vendor prefix, or enough digits (an IBAN has at least 2, a phone number 7, an SSN 9, a card
 * 14). Prose without digits or key prefixes, most of what passes through here, then costs a
 * few scans of indexOf instead of a dozen regexes.
 */
export function* collect(text: string, budget: Budget): Steps<MatchList[]> {
  // One list per detector, in the order the detectors run (the merge breaks ties by it).
  const lists: MatchList[] = [];
  const slice = new Every(CANDIDATES_PER_SLICE);
  if (hasSecretLiteral(text)) {
    if (text.includes('-----BEGIN ')) yield* findPem(text, newList(lists, 'private_key'));
    for (const { type, re, needs, random } of SECRET_PATTERNS) {
      if (needs && !needs.some((literal) => text.includes(literal))) continue;
      yield;
      const found = newList(lists, type);
      for (const m of regexMatches(re, text)) {
        if (slice.tick()) yield;
        if (random && !looksRandom(m[0].slice(m[0].indexOf('-') + 1))) continue;
        found.push(m.index, m.index + m[0].length);
      }
    }
  }
  yield* findEmails(text, newList(lists, 'email'), budget);
  yield;
  const digits = ANY_DIGIT.test(text) ? yield* countDigits(text) : 0;
  if (digits < 2) return lists;
  // a pause before each kind: its first exec may scan the whole text
  yield;
  const ibans = newList(lists, 'iban');
  for (let m = execAt(IBAN_CANDIDATE, text, 0); m; m = execAfter(IBAN_CANDIDATE, text, m)) {
    if (slice.tick()) yield;
    if (!budget.allow('iban')) {
      ibans.pushShapeOnly(m);
      continue;
    }
    const value = validIbanPrefix(m[0]);
    if (value) ibans.push(m.index, m.index + value.length);
  }
  yield;
  const cardList = newList(lists, 'credit_card');
  const cardLike = digits >= DIGITS_NEEDED && (yield* hasRunSteps(text, CARD_CHARS, CARD_MIN_CHARS));
  let next = 0;
  for (let m = cardLike ? execAt(CARD_CANDIDATE, text, 0) : null; m; m = execAt(CARD_CANDIDATE, text, next)) {
    if (slice.tick()) yield;
    next = m.index + m[0].length;
    const shaped = isCardShaped(m[0]);
    if (shaped && !budget.allow('credit_card')) {
      cardList.pushShapeOnly(m);
    } else if (shaped && validator.isCreditCard(m[0])) {
      cardList.push(m.index, next);
    } else {
      next = m.index + 1; // a card may start inside a longer digit run
    }
  }
  yield;
  const ssns = newList(lists, 'ssn');
  for (let m = digits >= 9 ? execAt(SSN, text, 0) : null; m; m = execAfter(SSN, text, m)) {
    if (slice.tick()) yield;
    ssns.push(m.index, m.index + m[0].length);
  }
  yield;
  const phones = newList(lists, 'phone');
  for (let m = digits >= 7 ? execAt(PHONE_CANDIDATE, text, 0) : null; m; m = execAfter(PHONE_CANDIDATE, text, m)) {
    if (slice.tick()) yield;
    if (!isPhoneShaped(m[0])) continue;
    if (!budget.allow('phone')) phones.pushShapeOnly(m);
    else if (isValidPhone(phoneShape(m[0])!)) phones.push(m.index, m.index + m[0].length);
  }
  return lists;
}
