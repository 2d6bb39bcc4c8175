/**
 * PII redaction: each match of a scan (domain/risk/pii.ts) replaced by its typed placeholder,
 * in pausable steps (domain/slices.ts) for the sliced assessment.
 */
import { runSync, type Steps } from '../slices.js';
import { detectPii, PII_TYPES, type PiiMatch, type PiiScan, type PiiSpans, type PiiType } from './pii.js';

export const PII_PLACEHOLDERS: Record<PiiType, string> = {
  email: '[EMAIL]',
  phone: '[PHONE]',
  credit_card: '[CREDIT_CARD]',
  iban: '[IBAN]',
  ssn: '[SSN]',
  api_key: '[SECRET]',
  jwt: '[SECRET]',
  private_key: '[SECRET]',
};

const TYPE_INDEX = new Map<PiiType, number>(PII_TYPES.map((t, i) => [t, i]));

/**
 * Replaces each match (from `scanPii` of this very text: offsets must agree) with its typed
 * placeholder; `types` lists what was found.
 */
export function redactMatches(text: string, matches: readonly PiiMatch[]): { text: string; types: PiiType[] } {
  return runSync(redactMatchesSteps(text, matches));
}

/** Matches replaced between two pause points of a sliced redaction. */
const REPLACEMENTS_PER_SLICE = 4096;

/** `redactMatches` as pausable steps (slices.ts). */
export function* redactMatchesSteps(
  text: string,
  matches: readonly PiiMatch[],
): Steps<{ text: string; types: PiiType[] }> {
  return yield* redactSpansSteps(text, {
    count: matches.length,
    start: Int32Array.from(matches, (m) => m.start),
    end: Int32Array.from(matches, (m) => m.end),
    type: Uint8Array.from(matches, (m) => TYPE_INDEX.get(m.type)!),
    unverified: Uint8Array.from(matches, (m) => (m.unverified ? 1 : 0)),
  });
}

/** Redacts `text` with its own scan (`scanPii(text)`: offsets must agree), in pausable steps. */
export function redactScanSteps(text: string, scan: PiiScan): Steps<{ text: string; types: PiiType[] }> {
  return redactSpansSteps(text, scan.spans);
}

/**
 * `source` redacted ahead of the decision that may need it, with the scan made of `scannedText`
 * (the text as scored): when that scan applies to the text as sent (scoring changed nothing) and
 * found anything. Undefined otherwise: nothing to redact, or the text as sent needs a scan of its
 * own, which redaction does when it comes to it.
 */
export function* redactAheadSteps(source: string, scannedText: string, scan: PiiScan): Steps<string | undefined> {
  if (scannedText !== source || scan.spans.count === 0) return undefined;
  return (yield* redactSpansSteps(source, scan.spans)).text;
}

/**
 * The text with each span replaced by its placeholder. Each slice's pieces are joined into one
 * flat string: appending them one by one built a rope of two nodes per match (~200k for a
 * crafted megabyte), which the garbage collector had to copy and the first reader to flatten.
 */
function* redactSpansSteps(text: string, spans: PiiSpans): Steps<{ text: string; types: PiiType[] }> {
  if (spans.count === 0) return { text, types: [] };
  const chunks: string[] = [];
  let pieces: string[] = [];
  let cursor = 0;
  const types: PiiType[] = [];
  for (let i = 0; i < spans.count; i++) {
    if (i > 0 && i % REPLACEMENTS_PER_SLICE === 0) {
      chunks.push(pieces.join(''));
      pieces = [];
      yield;
    }
    const type = PII_TYPES[spans.type[i]!]!;
    pieces.push(text.slice(cursor, spans.start[i]), PII_PLACEHOLDERS[type]);
    cursor = spans.end[i]!;
    if (!types.includes(type)) types.push(type);
  }
  pieces.push(text.slice(cursor));
  chunks.push(pieces.join(''));
  return { text: chunks.join(''), types };
}

/** Scans `text` and redacts what it finds (when no scan of it is at hand). */
export function redactPii(text: string): { text: string; types: PiiType[] } {
  return redactMatches(text, detectPii(text));
}
