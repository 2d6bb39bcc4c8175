/**
 * PII redaction: each match of a scan (domain/risk/pii.ts) replaced by its typed placeholder,
 * in pausable steps (domain/slices.ts) for the sliced assessment.
 */
import { isLatin1 } from '../../utils/latin1.js';
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
 * Texts of at least this many characters, all of them Latin-1 (ASCII included), are redacted into
 * bytes (redactLatin1Steps) rather than joined from slices.
 */
export const BYTE_REDACTION_CHARS = 64 * 1024;

const PLACEHOLDER_BYTES = PII_TYPES.map((type) => Buffer.from(PII_PLACEHOLDERS[type], 'latin1'));

/** A gap between two spans longer than this is written in one call, a shorter one character by character. */
const GAP_WRITE_CHARS = 48;

/**
 * The redaction of a Latin-1 `text` (isLatin1) as Latin-1 bytes, written into one buffer of its
 * exact size. A crafted 2 MB text holds 300,000 e-mails: joined from slices its redaction took
 * 20-30 ms and a fresh 2 MB string (about 500 page faults at ~10 µs each on the virtual machines
 * measured); into bytes 6-13 ms, and the buffer is glibc's memory, which it hands out again. A
 * worker thread sends the bytes as they are (assessmentWorker.ts); `redactSpansSteps` decodes them.
 */
export function* redactLatin1Steps(text: string, spans: PiiSpans): Steps<{ bytes: Buffer; types: PiiType[] }> {
  const { count } = spans;
  const size = redactedSize(text, spans);
  const out: Latin1Redaction = { bytes: Buffer.allocUnsafe(size), at: 0, cursor: 0, seen: 0, types: [] };
  for (let from = 0; from < count; from += REPLACEMENTS_PER_SLICE) {
    if (from > 0) yield;
    redactLatin1Run(text, spans, from, Math.min(count, from + REPLACEMENTS_PER_SLICE), out);
  }
  writeRest(text, out);
  if (out.at !== size) throw new Error(`redactLatin1Steps: wrote ${out.at} bytes of ${size}`);
  return { bytes: out.bytes, types: out.types };
}

/**
 * The length of the redaction of `text`, in characters (bytes, for Latin-1). A plain function:
 * as a loop of the generator above, V8 compiled it on the stack mid-loop, without type feedback for
 * the code after the loop, and threw the code away when that code ran, in every call (a
 * deoptimisation loop seen with --trace-deopt in a chat call's steady state).
 */
function redactedSize(text: string, spans: PiiSpans): number {
  const { count, start, end, type } = spans;
  let size = 0;
  let cursor = 0;
  for (let i = 0; i < count; i++) {
    size += Math.max(0, start[i]! - cursor) + PLACEHOLDER_BYTES[type[i]!]!.length;
    cursor = Math.max(cursor, end[i]!);
  }
  return size + Math.max(0, text.length - cursor);
}

interface Latin1Redaction {
  bytes: Buffer;
  /** bytes written */
  at: number;
  /** characters of the text consumed */
  cursor: number;
  /** the types met, as bits of their index, and in the order met */
  seen: number;
  types: PiiType[];
}

/** Spans `from` to `to` of redactLatin1Steps (a plain function: V8 optimises its loop as it runs). */
function redactLatin1Run(text: string, spans: PiiSpans, from: number, to: number, out: Latin1Redaction): void {
  const { start, end, type } = spans;
  const { bytes } = out;
  let { at, cursor, seen } = out;
  for (let i = from; i < to; i++) {
    const gapEnd = start[i]!;
    if (gapEnd - cursor > GAP_WRITE_CHARS) at += bytes.write(text.slice(cursor, gapEnd), at, 'latin1');
    else for (let k = cursor; k < gapEnd; k++) bytes[at++] = text.charCodeAt(k);
    const kind = type[i]!;
    const placeholder = PLACEHOLDER_BYTES[kind]!;
    for (let k = 0; k < placeholder.length; k++) bytes[at++] = placeholder[k]!;
    cursor = Math.max(cursor, end[i]!);
    if ((seen & (1 << kind)) === 0) {
      seen |= 1 << kind;
      out.types.push(PII_TYPES[kind]!);
    }
  }
  out.at = at;
  out.cursor = cursor;
  out.seen = seen;
}

/** The text after the last span, written after the redaction so far. */
function writeRest(text: string, out: Latin1Redaction): void {
  if (out.cursor < text.length) out.at += out.bytes.write(text.slice(out.cursor), out.at, 'latin1');
}

/** Bytes of the scratch buffer redactShortLatin1 writes into (a redaction longer is joined instead). */
const SCRATCH_BYTES = 96 * 1024;
/** Short texts with fewer spans are joined from slices: a few pieces join faster than a buffer call. */
const SCRATCH_MIN_SPANS = 8;
let scratch: Buffer | undefined;

/**
 * The redaction of a short Latin-1 text with many spans, written into one reused buffer in one
 * go (no pause: the spans are at most REPLACEMENTS_PER_SLICE) and read back as a string. A
 * thousand 2 KB chat messages of phone-like numbers, ~190 spans each: joined from 380 pieces a
 * message, their redaction took 9-11 ms of a 60 ms scan; this way ~3. Undefined when the
 * redaction would not fit the buffer.
 */
function redactShortLatin1(text: string, spans: PiiSpans): { text: string; types: PiiType[] } | undefined {
  const size = redactedSize(text, spans);
  if (size > SCRATCH_BYTES) return undefined;
  scratch ??= Buffer.allocUnsafeSlow(SCRATCH_BYTES);
  const out: Latin1Redaction = { bytes: scratch, at: 0, cursor: 0, seen: 0, types: [] };
  redactLatin1Run(text, spans, 0, spans.count, out);
  writeRest(text, out);
  return { text: scratch.toString('latin1', 0, out.at), types: out.types };
}

/**
 * The text with each span replaced by its placeholder. A long Latin-1 text is redacted into bytes
 * (redactLatin1Steps). Otherwise each slice's pieces are joined into one flat string: appending
 * them one by one built a rope of two nodes per match (~200k for a crafted megabyte), which the
 * garbage collector had to copy and the first reader to flatten.
 */
function* redactSpansSteps(text: string, spans: PiiSpans): Steps<{ text: string; types: PiiType[] }> {
  if (spans.count === 0) return { text, types: [] };
  if (text.length >= BYTE_REDACTION_CHARS && isLatin1(text)) {
    const { bytes, types } = yield* redactLatin1Steps(text, spans);
    return { text: bytes.toString('latin1'), types };
  }
  if (spans.count >= SCRATCH_MIN_SPANS && spans.count <= REPLACEMENTS_PER_SLICE && isLatin1(text)) {
    const redacted = redactShortLatin1(text, spans);
    if (redacted) return redacted;
  }
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
