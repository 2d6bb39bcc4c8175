/**
 * PII and secret detection, pure and I/O-free. The detectors are in piiDetectors.ts; this
 * module merges their match lists into one scan per text, the API the scorers and redaction use.
 *
 * Library choice: a cheap, backtracking-safe regex (or a scan around each '@') only proposes
 * candidates; the checksum and format rules come from maintained libraries instead of home-made
 * regexes:
 * - `validator`: `isEmail` (RFC-ish local part and domain rules), `isCreditCard` (issuer prefixes
 *   and lengths plus the Luhn check), `isIBAN` (per-country length and format plus mod-97).
 * - `libphonenumber-js/max`: the full metadata, because the default "min" metadata accepts
 *   almost any digit string of the right length (dates, order numbers) as a valid number.
 * Secrets have no validating library; their prefixes are stable and documented by each vendor,
 * so they are plain anchored regexes with bounded or single greedy quantifiers.
 * Phone numbers need a leading '+'/'00', a US 3-3-4 grouping or a European trunk '0' with
 * separators: bare digit runs (order numbers, prices, dates) are never phones.
 *
 * Budget: the regexes are linear, the validators are not cheap (libphonenumber ~20 µs a call,
 * isEmail ~5 µs), and a crafted 1 MB text holds ~100k candidates. Each validating kind (email,
 * phone, credit_card, iban) therefore checks at most PII_CANDIDATE_LIMIT candidates per text.
 * Past that the kind is "saturated": every further candidate whose shape passes the cheap
 * checks counts as a match without its validator (marked `unverified`), so a saturated text
 * still counts as holding that PII and under piiMode `redact`/`block` the rest is redacted by
 * the cheap pattern: the budget errs towards redacting too much, never towards a leak.
 * Secrets, SSNs and PEM blocks have no validator (regexes only) and are not capped.
 */
import { Every, runSync, type Steps } from '../slices.js';
import { collect } from './piiDetectors.js';
import {
  Budget,
  type BudgetedType,
  type MatchList,
  NO_INT32,
  NO_UINT8,
  PII_TYPES,
  type PiiType,
} from './piiMatches.js';

export { endsWithTld } from './piiDetectors.js';
export { BUDGETED_PII_TYPES, Budget, PII_TYPES, type PiiType } from './piiMatches.js';

/** Secret types (as opposed to personal data); they share the `[SECRET]` placeholder. */
export const SECRET_TYPES: readonly PiiType[] = ['api_key', 'jwt', 'private_key'];

export interface PiiMatch {
  type: PiiType;
  /** UTF-16 offsets into the input, `end` exclusive */
  start: number;
  end: number;
  value: string;
  /** set when the kind's validator budget was spent: the match has the shape, not the checksum */
  unverified?: true;
}

/**
 * Candidates each validating kind (email, phone, credit_card, iban) checks per text; past it,
 * shape-only matches (see the module comment). 500 checks cost at most ~10 ms per kind.
 */
export const PII_CANDIDATE_LIMIT = 500;

/**
 * The matches of a scan as flat arrays, match i at index i (no object per match: a crafted
 * megabyte holds ~150k matches, and as objects they made the garbage collector's young-generation
 * pauses the longest stalls of a sliced assessment, 10-50 ms each). Typed arrays live outside the
 * JavaScript heap, so the collector never copies them.
 */
export interface PiiSpans {
  count: number;
  start: Int32Array;
  end: Int32Array;
  /** index into PII_TYPES */
  type: Uint8Array;
  /** 1 where the match is shape-only (its kind's budget was spent) */
  unverified: Uint8Array;
}

/** One text's detection: what scoring flags and what redaction replaces come from one scan. */
export interface PiiScan {
  /** non-overlapping, in text order (built from `spans` when first read) */
  readonly matches: PiiMatch[];
  /** the same matches, flat: what scoring and redaction read */
  readonly spans: PiiSpans;
  /** the types of the matches, each once, in order of first occurrence */
  readonly types: PiiType[];
  /** validator calls per budgeted kind (at most the limit) */
  checked: Record<BudgetedType, number>;
  /** kinds whose budget ran out: their later matches are shape-only */
  saturated: PiiType[];
}

/** A scan's result; `matches` is built on first use (the request path never needs it). */
class Scan implements PiiScan {
  #matches: PiiMatch[] | undefined;
  readonly #text: string;
  constructor(
    text: string,
    readonly spans: PiiSpans,
    readonly types: PiiType[],
    readonly checked: Record<BudgetedType, number>,
    readonly saturated: PiiType[],
  ) {
    this.#text = text;
  }

  get matches(): PiiMatch[] {
    if (this.#matches) return this.#matches;
    const { count, start, end, type, unverified } = this.spans;
    const matches: PiiMatch[] = [];
    for (let i = 0; i < count; i++) {
      const match: PiiMatch = { type: PII_TYPES[type[i]!]!, start: start[i]!, end: end[i]!, value: '' };
      match.value = this.#text.slice(match.start, match.end);
      if (unverified[i] === 1) match.unverified = true;
      matches.push(match);
    }
    return (this.#matches = matches);
  }
}

/** Matches merged between two pause points (a few hundred microseconds). */
const MERGED_PER_SLICE = 4096;

/**
 * The detectors' lists merged into text order, overlaps resolved to the earliest, then the
 * longest match: what sorting everything found (stably, by start and then longest first) and
 * keeping each match that starts at or after the end of the last one kept gave, without the
 * sort. The lists are each in that order already, so a k-way merge (ties to the earlier list,
 * as the stable sort kept them) is the same sequence, and it pauses every MERGED_PER_SLICE
 * matches: sorting ~95k found matches in one piece held the event loop for tens of ms.
 */
export function* mergeSteps(text: string, lists: MatchList[], budget: Budget): Steps<PiiScan> {
  const live = lists.filter((l) => l.length > 0);
  let total = 0;
  for (const l of live) {
    l.ensureOrdered();
    total += l.length;
  }
  const spans = spansFor(total);
  const types: PiiType[] = [];
  if (live.length === 1 && !overlaps(live[0]!)) {
    // One kind found, its matches apart (the usual case): a copy of the list.
    const [list] = live as [MatchList];
    spans.start.set(list.starts.subarray(0, total));
    spans.end.set(list.ends.subarray(0, total));
    spans.type.fill(list.typeIndex);
    spans.unverified.set(list.unverified.subarray(0, total));
    spans.count = total;
    types.push(list.type);
  } else {
    yield* kWaySteps(live, spans, types);
  }
  for (const l of lists) l.release();
  if (spans.count < total) {
    spans.start = spans.start.subarray(0, spans.count);
    spans.end = spans.end.subarray(0, spans.count);
    spans.type = spans.type.subarray(0, spans.count);
    spans.unverified = spans.unverified.subarray(0, spans.count);
  }
  return new Scan(text, spans, types, { ...budget.checked }, [...budget.saturated]);
}

/**
 * Empty spans with room for `total` matches, all four arrays views of one buffer: one backing
 * store where there were four (a thousand messages' scans made 4,000 a call).
 */
function spansFor(total: number): PiiSpans {
  if (total === 0) return { count: 0, start: NO_INT32, end: NO_INT32, type: NO_UINT8, unverified: NO_UINT8 };
  const buffer = new ArrayBuffer(10 * total);
  return {
    count: 0,
    start: new Int32Array(buffer, 0, total),
    end: new Int32Array(buffer, 4 * total, total),
    type: new Uint8Array(buffer, 8 * total, total),
    unverified: new Uint8Array(buffer, 9 * total, total),
  };
}

/** Whether a match of the list starts before the previous one ends (the merge would drop it). */
function overlaps(list: MatchList): boolean {
  const { starts, ends, length } = list;
  for (let i = 1; i < length; i++) if (starts[i]! < ends[i - 1]!) return true;
  return false;
}

/** The k-way merge of mergeSteps into `spans`, overlaps dropped, noting the types kept in `types`. */
function* kWaySteps(live: MatchList[], spans: PiiSpans, types: PiiType[]): Steps<void> {
  let total = 0;
  for (const l of live) total += l.length;
  const heads = live.map(() => 0);
  const slice = new Every(MERGED_PER_SLICE);
  let lastEnd = -1;
  for (let taken = 0; taken < total; taken++) {
    if (slice.tick()) yield;
    let best = -1;
    let bestStart = 0;
    let bestEnd = 0;
    for (let l = 0; l < live.length; l++) {
      const head = heads[l]!;
      const list = live[l]!;
      if (head >= list.length) continue;
      const start = list.starts[head]!;
      const end = list.ends[head]!;
      if (best === -1 || start < bestStart || (start === bestStart && end > bestEnd)) {
        best = l;
        bestStart = start;
        bestEnd = end;
      }
    }
    const list = live[best]!;
    const head = heads[best]!;
    heads[best] = head + 1;
    if (bestStart < lastEnd) continue;
    const i = spans.count++;
    spans.start[i] = bestStart;
    spans.end[i] = bestEnd;
    spans.type[i] = list.typeIndex;
    spans.unverified[i] = list.unverified[head]!;
    if (!types.includes(list.type)) types.push(list.type);
    lastEnd = bestEnd;
  }
}

/**
 * Finds emails, phone numbers, Luhn-valid cards, checksum-valid IBANs, US SSNs and well-known
 * secret formats, within the validator budget (`limit` checks per budgeted kind, see the
 * module comment). Overlaps resolve to the earliest, then the longest match (a key is never
 * also reported as the phone number hidden in its digits). Scan a text once and hand the
 * result to both scoring and `redactMatches`.
 */
export function scanPii(text: string, limit = PII_CANDIDATE_LIMIT): PiiScan {
  return runSync(scanPiiSteps(text, limit));
}

/**
 * `scanPii` as pausable steps (slices.ts): sliced, it gives the same scan. `limit` may instead be
 * a Budget shared with other scans (the texts of one call: see chatRisk.ts), which they spend in
 * turn.
 */
export function* scanPiiSteps(text: string, limit: number | Budget = PII_CANDIDATE_LIMIT): Steps<PiiScan> {
  const budget = typeof limit === 'number' ? new Budget(limit) : limit;
  const lists = yield* collect(text, budget);
  yield;
  return yield* mergeSteps(text, lists, budget);
}

/** The matches of `scanPii(text)`. */
export function detectPii(text: string): PiiMatch[] {
  return scanPii(text).matches;
}

/** A scan's data as it crosses to another thread (structured clone keeps no class). */
export type PiiScanData = Pick<PiiScan, 'spans' | 'types' | 'checked' | 'saturated'>;

/** The data of a scan, to post to another thread. */
export function scanData(scan: PiiScan): PiiScanData {
  const { spans, types, checked, saturated } = scan;
  return { spans, types, checked, saturated };
}

/** A scan of `text` again from the data another thread made of it (`scanData`). */
export function scanFromData(text: string, data: PiiScanData): PiiScan {
  return new Scan(text, data.spans, data.types, data.checked, data.saturated);
}
