/**
 * The patterns and checks behind pii.ts's detectors: cheap, backtracking-safe candidate regexes,
 * the vendor secret formats, and the validators from maintained libraries (`validator`,
 * `libphonenumber-js/max`) that decide whether a candidate is real.
 */
import { parsePhoneNumberFromString, type CountryCode } from 'libphonenumber-js/max';
import validator from 'validator';
import { alphabet } from './charRuns.js';
import { requiredLiterals } from './regexTriggers.js';

/** Vendor key formats. Bodies that can look like prose (sk-...) must also look random. */
const SECRET_REGEXES: { type: 'api_key' | 'jwt'; re: RegExp; random?: boolean }[] = [
  { type: 'api_key', re: /(?<![\w-])sk-ant-[A-Za-z0-9_-]{20,}/g },
  { type: 'api_key', re: /(?<![\w-])sk-(?!ant-)(?:proj-|svcacct-|admin-)?[A-Za-z0-9_-]{20,}/g, random: true },
  { type: 'api_key', re: /(?<![\w-])(?:AKIA|ASIA)[A-Z0-9]{16}(?![A-Za-z0-9])/g },
  { type: 'api_key', re: /(?<![\w-])gh[pousr]_[A-Za-z0-9]{36,}/g },
  { type: 'api_key', re: /(?<![\w-])github_pat_[A-Za-z0-9_]{22,}/g },
  { type: 'api_key', re: /(?<![\w-])xox[bpars]-[A-Za-z0-9-]{10,}/g, random: true },
  { type: 'api_key', re: /(?<![\w-])(?:sk|rk)_(?:live|test)_[A-Za-z0-9]{16,}/g },
  { type: 'api_key', re: /(?<![\w-])AIza[A-Za-z0-9_-]{35}(?![\w-])/g },
  { type: 'api_key', re: /(?<![\w-])lgk_[A-Za-z0-9_-]{20,}/g },
  { type: 'jwt', re: /(?<![\w-])eyJ[A-Za-z0-9_-]{8,}\.eyJ[A-Za-z0-9_-]{8,}\.[A-Za-z0-9_-]*/g },
];

/**
 * Each format with the literals one of which every match contains (its vendor prefix, derived
 * from the pattern by regexTriggers.ts): a text without any is not scanned with that regex.
 */
export const SECRET_PATTERNS = SECRET_REGEXES.map((p) => ({ ...p, needs: requiredLiterals(p.re) }));

export const PEM_BEGIN = /-----BEGIN (?:[A-Z0-9]{1,12} ){0,3}PRIVATE KEY-----/g;
export const PEM_MAX_BODY = 20_000;
/** base64 lines after a BEGIN line; a blank line or prose ends them */
export const PEM_BODY = /(?:\r?\n[A-Za-z0-9+/=]{1,100}){0,300}/y;

/**
 * Issuer prefixes start with 2-6 (Mastercard 2/5, Amex/Diners/JCB 3, Visa 4, Discover/UnionPay 6);
 * 14-19 digits, since 13-digit Visa numbers are retired and 13-digit EAN barcodes are everywhere.
 */
export const CARD_CANDIDATE = /(?<![\d.,-])[2-6](?:[ -]?\d){13,18}(?![\d-]|[.,]\d)/g;
export const IBAN_CANDIDATE =
  /(?<![A-Za-z0-9])[A-Z]{2}\d{2}(?:[A-Z0-9]{11,30}|(?: [A-Z0-9]{4}){2,7}(?: [A-Z0-9]{1,4})?)(?![A-Za-z0-9])/g;
export const SSN = /(?<![\d-])(?!000|666|9\d\d)\d{3}-(?!00)\d{2}-(?!0000)\d{4}(?![\d-])/g;
/** Digit groups joined by one separator; each group may start with "(0)" style parentheses. */
export const PHONE_CANDIDATE =
  /(?<![\w+])\+?(?:\(\d{1,5}\) ?)?\d{1,14}(?:(?: ?[./-] ?| )(?:\(\d{1,5}\) ?)?\d{1,14}){0,6}(?![\w])/g;
const DATE_LIKE = /^(?:\d{4}[-/. ]\d{1,2}[-/. ]\d{1,2}|\d{1,2}[-/. ]\d{1,2}[-/. ]\d{2,4})$/;
const EUROPEAN_COUNTRIES: CountryCode[] = ['DE', 'AT', 'CH', 'GB'];

const ALNUM = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789';
/** ASCII lookup tables (a regex test per character costs several times more). */
export const EMAIL_LOCAL = alphabet(`${ALNUM}._%+'-`);
export const EMAIL_DOMAIN = alphabet(`${ALNUM}.-`);
export const inTable = (table: Uint8Array, code: number) => code < 128 && table[code] === 1;

/** Mixed case and a digit: real tokens are random, slugs like "sk-learn-tutorial" are not. */
export function looksRandom(body: string): boolean {
  return /[a-z]/.test(body) && /[A-Z]/.test(body) && /\d/.test(body);
}

/**
 * The cheap checks of a phone candidate: null when its shape rules it out, else how to
 * validate it (the number in international form, or the national number and its countries).
 */
export function phoneShape(candidate: string): { number: string; countries: (CountryCode | undefined)[] } | null {
  const digits = candidate.replace(/\D/g, '');
  if (digits.length < 7 || digits.length > 15 || DATE_LIKE.test(candidate)) return null;
  if (candidate.startsWith('+') || candidate.startsWith('00')) {
    const international = candidate.startsWith('00') ? `+${candidate.slice(2)}` : candidate;
    return digits.length >= 8 ? { number: international, countries: [undefined] } : null;
  }
  const groups = candidate.split(/\D+/).filter(Boolean);
  const lengths = groups.map((g) => g.length).join(',');
  if (lengths === '3,3,4' || lengths === '1,3,3,4') return { number: candidate, countries: ['US'] };
  // European national format: trunk prefix 0, at least one separator, no '.' (versions, dates).
  if (/^0[1-9]/.test(candidate) && groups.length >= 2 && !candidate.includes('.') && digits.length >= 9) {
    return { number: candidate, countries: EUROPEAN_COUNTRIES };
  }
  return null;
}

/**
 * Whether `phoneShape(candidate)` is not null, without building anything: one pass over the
 * characters (digits, digit groups, a '.'), then the date check. The detector asks this of
 * every candidate and builds the shape only for the ones its validator checks: past the budget
 * a crafted megabyte holds ~95k candidates, and building a shape each (a digits-only copy, the
 * groups split and joined) was a tenth of its assessment.
 */
export function isPhoneShaped(candidate: string): boolean {
  let digits = 0;
  let groups = 0;
  let run = 0;
  // the lengths of the first four digit groups, and whether the candidate has a '.'
  let g0 = 0;
  let g1 = 0;
  let g2 = 0;
  let g3 = 0;
  let dot = false;
  for (let i = 0; i <= candidate.length; i++) {
    const code = i < candidate.length ? candidate.charCodeAt(i) : -1;
    if (code >= 48 && code <= 57) {
      digits++;
      run++;
      continue;
    }
    if (code === 46) dot = true;
    if (run === 0) continue;
    if (groups === 0) g0 = run;
    else if (groups === 1) g1 = run;
    else if (groups === 2) g2 = run;
    else if (groups === 3) g3 = run;
    groups++;
    run = 0;
  }
  // DATE_LIKE has at most 8 digits
  if (digits < 7 || digits > 15 || (digits <= 8 && DATE_LIKE.test(candidate))) return false;
  const first = candidate.charCodeAt(0);
  if (first === 43 || (first === 48 && candidate.charCodeAt(1) === 48)) return digits >= 8; // '+', '00'
  if (groups === 3 && g0 === 3 && g1 === 3 && g2 === 4) return true;
  if (groups === 4 && g0 === 1 && g1 === 3 && g2 === 3 && g3 === 4) return true;
  const second = candidate.charCodeAt(1);
  return first === 48 && second >= 49 && second <= 57 && groups >= 2 && !dot && digits >= 9;
}

export function isValidPhone({
  number,
  countries,
}: {
  number: string;
  countries: (CountryCode | undefined)[];
}): boolean {
  return countries.some((c) => parsePhoneNumberFromString(number, c)?.isValid() === true);
}

/** Printed cards group digits in blocks of 4 (Amex 4-6-5); "4 4 4 4 ..." is not a card. */
export function isCardShaped(candidate: string): boolean {
  return candidate.split(/[ -]/).every((group) => group.length >= 3);
}

/** Grouped IBANs may swallow a following all-caps word ("... 00 AND"); retry without it. */
export function validIbanPrefix(candidate: string): string | null {
  let value = candidate;
  for (;;) {
    if (validator.isIBAN(value)) return value;
    const cut = value.lastIndexOf(' ');
    if (cut < 15) return null;
    value = value.slice(0, cut);
  }
}
