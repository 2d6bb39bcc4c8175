/**
 * Cost estimation from the price table (priceTable.ts): a model name finds the most specific
 * row in effect at the request's date, a project's overrides win over the table. Pure: no I/O,
 * no clock except the default of `findPrice`.
 */
import { type ModelPrice, PRICE_TABLE } from './priceTable.js';

export { PRICE_TABLE, type ModelPrice } from './priceTable.js';

/** Per-project prices keyed by exact model name or family id (case-insensitive); they win over the table. */
export type PriceOverrides = Record<string, { inputPerMTok: number; outputPerMTok: number }>;

export interface ResolvedPrice extends ModelPrice {
  readonly source: 'table' | 'override';
}

interface IndexedRow {
  readonly row: ModelPrice;
  readonly specificity: number;
  readonly fromMs: number;
}

/**
 * Length of the literal text a pattern starts with: `^gpt-4o-2024-05-13$` (17) is more specific
 * than `^gpt-4o(?:-\d{4}...)?$` (6), so when both match, the exact snapshot row wins.
 */
function literalPrefixLength(pattern: RegExp): number {
  const source = pattern.source;
  let length = 0;
  for (let i = source.startsWith('^') ? 1 : 0; i < source.length; i++) {
    const ch = source.charAt(i);
    if (ch === '\\') {
      const escaped = source.charAt(i + 1);
      if (escaped === '' || /[a-z0-9]/i.test(escaped)) break; // \d, \w: a class, not a literal
      length++;
      i++;
    } else if ('?*{'.includes(ch)) {
      return Math.max(0, length - 1); // the character before is optional
    } else if ('()[].+|$^'.includes(ch)) {
      break;
    } else {
      length++;
    }
  }
  return length;
}

const INDEXED_TABLE: readonly IndexedRow[] = PRICE_TABLE.map((entry) => ({
  row: entry,
  specificity: literalPrefixLength(entry.pattern),
  fromMs: Date.parse(`${entry.effectiveFrom}T00:00:00Z`),
}));

/**
 * Lower-cases and strips what callers put around a model id: provider or router prefixes
 * (`openai/`, `openrouter/anthropic/`, Gemini's `models/`) and the Bedrock form of Anthropic ids
 * (`us.anthropic.claude-3-5-sonnet-20241022-v2:0`).
 */
export function normalizeModelName(model: string): string {
  const lower = model.trim().toLowerCase();
  const name = lower.slice(lower.lastIndexOf('/') + 1);
  return name.replace(/^(?:[a-z]+\.)?anthropic\./, '').replace(/-v\d+:\d+$/, '');
}

/** matchingRows per model name: the table is static and every request would test all its patterns. */
const rowsByName = new Map<string, IndexedRow[]>();
const ROWS_BY_NAME_MAX = 2_000;

/** The rows of the most specific pattern matching the name, all periods; empty when unknown. */
function matchingRows(name: string): IndexedRow[] {
  const known = rowsByName.get(name);
  if (known) return known;
  const rows = scanTable(name);
  // Model names come from callers: the memo is bounded by starting over when full.
  if (rowsByName.size >= ROWS_BY_NAME_MAX) rowsByName.clear();
  rowsByName.set(name, rows);
  return rows;
}

function scanTable(name: string): IndexedRow[] {
  let best: IndexedRow[] = [];
  for (const indexed of INDEXED_TABLE) {
    if (!indexed.row.pattern.test(name)) continue;
    const current = best[0]?.specificity ?? -1;
    if (indexed.specificity > current) best = [indexed];
    else if (indexed.specificity === current) best.push(indexed);
  }
  return best;
}

function latestInEffect(rows: readonly IndexedRow[], atMs: number): IndexedRow | undefined {
  let found: IndexedRow | undefined;
  for (const indexed of rows) {
    if (indexed.fromMs <= atMs && (!found || indexed.fromMs > found.fromMs)) found = indexed;
  }
  return found;
}

function findOverride(
  overrides: PriceOverrides,
  keys: readonly (string | undefined)[],
): PriceOverrides[string] | undefined {
  const byLowerKey = new Map(Object.entries(overrides).map(([key, price]) => [key.trim().toLowerCase(), price]));
  for (const key of keys) {
    const price = key === undefined ? undefined : byLowerKey.get(key);
    if (price) return price;
  }
  return undefined;
}

/** Stands in for a table row when an override prices a model the table does not know. */
function unknownModelRow(name: string): ModelPrice {
  const escaped = name.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
  return {
    pattern: new RegExp(`^${escaped}$`),
    family: name,
    inputPerMTok: 0,
    outputPerMTok: 0,
    effectiveFrom: '1970-01-01',
  };
}

/**
 * The price of `model` in effect at `at`, or null when the model is unknown or was not yet priced
 * then. An override keyed by the exact model name, then by its family id, wins over the table and
 * also prices models the table does not know (a fine-tune, a self-hosted model).
 */
export function findPrice(model: string, at: Date = new Date(), overrides?: PriceOverrides): ResolvedPrice | null {
  const atMs = at.getTime();
  if (Number.isNaN(atMs)) throw new RangeError('findPrice: `at` is an invalid Date');
  const name = normalizeModelName(model);
  const rows = matchingRows(name);
  const inEffect = latestInEffect(rows, atMs);
  const override = overrides && findOverride(overrides, [model.trim().toLowerCase(), name, rows[0]?.row.family]);
  if (override) {
    const base = inEffect?.row ?? rows[0]?.row ?? unknownModelRow(name);
    return { ...base, inputPerMTok: override.inputPerMTok, outputPerMTok: override.outputPerMTok, source: 'override' };
  }
  return inEffect ? { ...inEffect.row, source: 'table' } : null;
}

/** Whether the table (or an override) knows a price for `model` at any date. */
export function isPriced(model: string, overrides?: PriceOverrides): boolean {
  const name = normalizeModelName(model);
  if (matchingRows(name).length > 0) return true;
  return overrides !== undefined && findOverride(overrides, [model.trim().toLowerCase(), name]) !== undefined;
}

export interface CostInput {
  model: string;
  promptTokens?: number | null;
  completionTokens?: number | null;
  /** When the request was made; defaults to now. */
  at?: Date;
  overrides?: PriceOverrides;
}

function tokenCount(value: number | null | undefined, field: string): number {
  if (value === undefined || value === null) return 0;
  if (!Number.isFinite(value) || value < 0) throw new RangeError(`estimateCostUsd: ${field} must be >= 0`);
  return value;
}

/**
 * Rounds half up to 8 decimals. Shifting the decimal point in the string form avoids the binary
 * error of `x * 1e8` (7.5e-8 * 1e8 is 7.499999...), so ties round the way a person expects.
 */
export function roundUsdExact(value: number): number {
  const [mantissa = '0', exponent = '0'] = value.toExponential(14).split('e');
  return Math.round(Number(`${mantissa}e${Number(exponent) + 8}`)) / 1e8;
}

/**
 * `roundUsdExact`, without the string work where it cannot change the result (it was about 1% of
 * the server's CPU under bench:ingest). Under 10 USD the scaled value is below 1e9: the string
 * form's 15 significant digits are then within 5e-6 of the exact product and `x * 1e8` within
 * 1e-7, so unless the fraction lies within 1e-4 of a half both round to the same integer, and
 * the same integer divided by 1e8 is the same number. Near a half, and above 10 USD, the string
 * form decides.
 */
export function roundUsd(value: number): number {
  const scaled = value * 1e8;
  if (Math.abs(scaled) < 1e9 && Math.abs(scaled - Math.floor(scaled) - 0.5) > 1e-4) return Math.round(scaled) / 1e8;
  return roundUsdExact(value);
}

/**
 * Cost in USD of one request, rounded to 8 decimals; null when the model has no price at `at`.
 * Missing token counts count as 0, so a known model with no usage costs 0.
 */
export function estimateCostUsd(input: CostInput): number | null {
  const promptTokens = tokenCount(input.promptTokens, 'promptTokens');
  const completionTokens = tokenCount(input.completionTokens, 'completionTokens');
  const price = findPrice(input.model, input.at, input.overrides);
  if (!price) return null;
  return roundUsd((promptTokens * price.inputPerMTok + completionTokens * price.outputPerMTok) / 1_000_000);
}
