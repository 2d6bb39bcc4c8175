/**
 * Encoded payloads in a prompt (`injection:encoded`): a base64 run, outside the secrets the PII
 * scan found (API keys and tokens are base64-like too), that decodes to prose.
 */
import { Every, type Steps } from '../slices.js';
import { alphabet, hasRunSteps } from './charRuns.js';
import { PII_TYPES, SECRET_TYPES, type PiiScan } from './pii.js';

/** Base64 runs this long are payloads, not words or ids. */
const BASE64_RUN = /[A-Za-z0-9+/]{40,}={0,2}/g;
const BASE64_DECODE_LIMIT = 8192;

/** A decoded payload counts when it reads like prose: printable and several words. */
function decodesToText(run: string): boolean {
  if (!/[A-Z]/.test(run) || !/[a-z]/.test(run)) return false;
  const decoded = Buffer.from(run.slice(0, BASE64_DECODE_LIMIT), 'base64').toString('utf8');
  if (decoded.length === 0) return false;
  const printable = decoded.replace(/[^\p{L}\p{N}\p{P}\p{Zs}\n\r\t]/gu, '').length;
  const words = decoded.match(/\p{L}{2,}/gu)?.length ?? 0;
  return printable / decoded.length > 0.95 && words >= 4 && /\s/.test(decoded);
}

/** The base64 alphabet without padding. */
const BASE64_CHAR = alphabet('ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/');

/** Whether `text` has a run of at least `length` base64 characters (BASE64_RUN can match). */
export function hasBase64Run(text: string, length: number): Steps<boolean> {
  return hasRunSteps(text, BASE64_CHAR, length);
}

/** Base64 runs decoded between two pause points of a sliced scoring. */
const RUNS_PER_SLICE = 64;

/**
 * Whether a base64 run outside the secrets `scan` found in `text` decodes to prose. The secrets
 * are non-overlapping and in text order, as are the runs, so one pointer walks both (a text of many key-like tokens
 * compared each run with every secret: quadratic).
 */
export function* hasEncodedPayload(text: string, scan: PiiScan): Steps<boolean> {
  // A plain loop first: the regex scan costs several times more, and almost no text has a run.
  if (!(yield* hasBase64Run(text, 40))) return false;
  const secrets = secretSpansOf(scan);
  const slice = new Every(RUNS_PER_SLICE);
  let next = 0;
  for (const m of text.matchAll(BASE64_RUN)) {
    if (slice.tick()) yield;
    while (next < secrets.length && secrets[next]!.end <= m.index) next++;
    const inSecret = next < secrets.length && secrets[next]!.start <= m.index;
    if (!inSecret && decodesToText(m[0])) return true;
  }
  return false;
}

/** The spans of the secrets (API keys, tokens, private keys) among a scan's matches, in text order. */
function secretSpansOf(scan: PiiScan): { start: number; end: number }[] {
  const { count, start, end, type } = scan.spans;
  const spans: { start: number; end: number }[] = [];
  for (let i = 0; i < count; i++) {
    if (SECRET_TYPES.includes(PII_TYPES[type[i]!]!)) spans.push({ start: start[i]!, end: end[i]! });
  }
  return spans;
}
