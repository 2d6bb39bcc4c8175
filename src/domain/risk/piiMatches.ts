/**
 * What the PII detectors (piiDetectors.ts) find into and count against: the kinds of PII, each
 * detector's match list (typed arrays, no object per match) and the per-kind validator budget.
 */

export const PII_TYPES = ['email', 'phone', 'credit_card', 'iban', 'ssn', 'api_key', 'jwt', 'private_key'] as const;
export type PiiType = (typeof PII_TYPES)[number];

/** The kinds whose candidates go through a validator, and so have a budget. */
export const BUDGETED_PII_TYPES = ['email', 'phone', 'credit_card', 'iban'] as const;
export type BudgetedType = (typeof BUDGETED_PII_TYPES)[number];

const TYPE_INDEX = new Map<PiiType, number>(PII_TYPES.map((t, i) => [t, i]));

/** Zero-length arrays shared by every empty list and scan (a zero-length typed array cannot change). */
export const NO_INT32 = new Int32Array(0);
export const NO_UINT8 = new Uint8Array(0);

/** The backing arrays of a match list: starts, ends and the unverified flags, of one capacity. */
interface Backing {
  starts: Int32Array<ArrayBuffer>;
  ends: Int32Array<ArrayBuffer>;
  unverified: Uint8Array<ArrayBuffer>;
}

/**
 * Backings of lists the merge is done with (MatchList.release), taken again by the next lists
 * that find something: a chat call of a thousand 2 KB messages of phone-like numbers made 9,000
 * typed arrays a call growing its lists (64, 128, 256), each a backing store outside the heap for
 * the collector to sweep; 6 of its 60 ms. At most SPARE_BACKINGS of at most SPARE_CAPACITY entries
 * (~2.4 MB); a list abandoned mid-scan simply keeps its own.
 */
const spares: Backing[] = [];
const SPARE_BACKINGS = 32;
const SPARE_CAPACITY = 8192;

/**
 * One detector's matches as it finds them: in text order (each detector scans forward), in
 * typed arrays that double when full (no object per match, and a third of the cost of pushing
 * onto plain arrays).
 */
export class MatchList {
  // Empty until the first match: most texts hold no PII.
  starts = NO_INT32;
  ends = NO_INT32;
  unverified = NO_UINT8;
  length = 0;
  readonly typeIndex: number;
  constructor(readonly type: PiiType) {
    this.typeIndex = TYPE_INDEX.get(type)!;
  }

  push(start: number, end: number, unverified = false): void {
    const i = this.length;
    if (i === this.starts.length) this.grow();
    this.starts[i] = start;
    this.ends[i] = end;
    this.unverified[i] = unverified ? 1 : 0;
    this.length = i + 1;
  }

  /** A match taken on its shape alone (its kind's budget is spent). */
  pushShapeOnly(m: RegExpExecArray): void {
    this.push(m.index, m.index + m[0].length, true);
  }

  private grow(): void {
    const spare = this.length === 0 ? spares.pop() : undefined;
    if (spare) {
      [this.starts, this.ends, this.unverified] = [spare.starts, spare.ends, spare.unverified];
      return;
    }
    const starts = new Int32Array(Math.max(64, 2 * this.starts.length));
    const ends = new Int32Array(starts.length);
    const unverified = new Uint8Array(starts.length);
    starts.set(this.starts);
    ends.set(this.ends);
    unverified.set(this.unverified);
    [this.starts, this.ends, this.unverified] = [starts, ends, unverified];
  }

  /**
   * Hands the backing arrays on to later lists; the list is empty after. Only once nothing reads
   * them any more (the merge copies what it keeps).
   */
  release(): void {
    const { starts, ends, unverified } = this;
    this.starts = NO_INT32;
    this.ends = NO_INT32;
    this.unverified = NO_UINT8;
    this.length = 0;
    if (starts.length > 0 && starts.length <= SPARE_CAPACITY && spares.length < SPARE_BACKINGS) {
      spares.push({ starts, ends, unverified });
    }
  }

  /**
   * Puts the list in the order a stable sort by (start, longest first) gives. Every detector
   * already finds its matches in that order, so this only checks; it is the safety net that
   * keeps the merge in scanPiiSteps equal to sorting everything found.
   */
  ensureOrdered(): void {
    const { starts, ends, unverified, length } = this;
    let ordered = true;
    for (let i = 1; i < length && ordered; i++) {
      ordered = starts[i - 1]! < starts[i]! || (starts[i - 1] === starts[i] && ends[i - 1]! >= ends[i]!);
    }
    if (ordered) return;
    const order = Array.from({ length }, (_, i) => i).sort((a, b) => starts[a]! - starts[b]! || ends[b]! - ends[a]!);
    this.starts = Int32Array.from(order, (i) => starts[i]!);
    this.ends = Int32Array.from(order, (i) => ends[i]!);
    this.unverified = Uint8Array.from(order, (i) => unverified[i]!);
  }
}

/** Counts validator calls per kind; `allow(kind)` is false once the kind's budget is spent. */
export class Budget {
  readonly checked: Record<BudgetedType, number> = { email: 0, phone: 0, credit_card: 0, iban: 0 };
  readonly saturated = new Set<PiiType>();
  constructor(private readonly limit: number) {}

  allow(kind: BudgetedType): boolean {
    if (this.checked[kind] < this.limit) {
      this.checked[kind] += 1;
      return true;
    }
    this.saturated.add(kind);
    return false;
  }
}
