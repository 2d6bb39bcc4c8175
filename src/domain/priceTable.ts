/**
 * Model price table: list prices as known on 2025-11-30, in USD per million tokens, the standard
 * (non-batch, non-cached) rates on each provider's public price page. Meta does not sell Llama
 * itself, so the Llama rows use Together AI's serverless "Turbo" prices as the typical hosted
 * price. Tiered prices (Gemini above 128k/200k prompt tokens, Claude Sonnet 4/4.5 long context)
 * use the standard tier; cached-input and batch discounts are not modelled. A project on other
 * terms sets overrides. How a model name finds its row, and the cost, are in pricing.ts.
 *
 * When a provider changes a price, do not edit a row: add one with the new `effectiveFrom`, so
 * requests already stored keep the price they were made at. A row applies from its
 * `effectiveFrom` (00:00 UTC) until the next row with the same pattern; a request dated before a
 * model's first row is not priced, because we do not know what it cost then.
 */

export interface ModelPrice {
  /** Anchored at both ends, so `gpt-4o` cannot swallow `gpt-4o-mini` or `gpt-4o-audio-preview`. */
  readonly pattern: RegExp;
  /** Stable id shared by all dated variants and price periods; overrides may be keyed by it. */
  readonly family: string;
  readonly inputPerMTok: number;
  readonly outputPerMTok: number;
  /** UTC day, `YYYY-MM-DD`. */
  readonly effectiveFrom: string;
}

const row = (
  family: string,
  pattern: RegExp,
  inputPerMTok: number,
  outputPerMTok: number,
  effectiveFrom: string,
): ModelPrice => ({ family, pattern, inputPerMTok, outputPerMTok, effectiveFrom });

// Columns: family, pattern, input USD/MTok, output USD/MTok, effective from.
export const PRICE_TABLE: readonly ModelPrice[] = [
  // OpenAI. The `gpt-4o` alias moved to the cheaper 2024-08-06 snapshot on 2024-10-02; the
  // 2024-05-13 snapshot kept its launch price, hence the exact-id rows.
  row('gpt-4o', /^gpt-4o(?:-\d{4}-\d{2}-\d{2})?$/, 5, 15, '2024-05-13'),
  row('gpt-4o', /^gpt-4o(?:-\d{4}-\d{2}-\d{2})?$/, 2.5, 10, '2024-10-02'),
  row('gpt-4o', /^gpt-4o-2024-05-13$/, 5, 15, '2024-05-13'),
  row('gpt-4o', /^gpt-4o-2024-08-06$/, 2.5, 10, '2024-08-06'),
  row('gpt-4o-mini', /^gpt-4o-mini(?:-\d{4}-\d{2}-\d{2})?$/, 0.15, 0.6, '2024-07-18'),
  row('gpt-4.1', /^gpt-4\.1(?:-\d{4}-\d{2}-\d{2})?$/, 2, 8, '2025-04-14'),
  row('gpt-4.1-mini', /^gpt-4\.1-mini(?:-\d{4}-\d{2}-\d{2})?$/, 0.4, 1.6, '2025-04-14'),
  row('gpt-4.1-nano', /^gpt-4\.1-nano(?:-\d{4}-\d{2}-\d{2})?$/, 0.1, 0.4, '2025-04-14'),
  row('gpt-5', /^gpt-5(?:-\d{4}-\d{2}-\d{2}|-chat-latest)?$/, 1.25, 10, '2025-08-07'),
  row('gpt-5-mini', /^gpt-5-mini(?:-\d{4}-\d{2}-\d{2})?$/, 0.25, 2, '2025-08-07'),
  row('gpt-5-nano', /^gpt-5-nano(?:-\d{4}-\d{2}-\d{2})?$/, 0.05, 0.4, '2025-08-07'),
  row('gpt-5.1', /^gpt-5\.1(?:-\d{4}-\d{2}-\d{2}|-chat-latest)?$/, 1.25, 10, '2025-11-13'),
  row('o1', /^o1(?:-\d{4}-\d{2}-\d{2}|-preview(?:-\d{4}-\d{2}-\d{2})?)?$/, 15, 60, '2024-09-12'),
  row('o3', /^o3(?:-\d{4}-\d{2}-\d{2})?$/, 10, 40, '2025-04-16'),
  row('o3', /^o3(?:-\d{4}-\d{2}-\d{2})?$/, 2, 8, '2025-06-10'),
  row('o3-mini', /^o3-mini(?:-\d{4}-\d{2}-\d{2})?$/, 1.1, 4.4, '2025-01-31'),
  row('o4-mini', /^o4-mini(?:-\d{4}-\d{2}-\d{2})?$/, 1.1, 4.4, '2025-04-16'),
  row('gpt-4-turbo', /^gpt-4-turbo(?:-\d{4}-\d{2}-\d{2}|-preview)?$/, 10, 30, '2023-11-06'),
  row('gpt-4-turbo', /^gpt-4-(?:1106|0125)-preview$/, 10, 30, '2023-11-06'),
  // Older 3.5 snapshots (0613, 1106) had other prices; left unmatched rather than mispriced.
  row('gpt-3.5-turbo', /^gpt-3\.5-turbo(?:-0125)?$/, 0.5, 1.5, '2024-01-25'),

  // Anthropic. OpenRouter spells versions with a dot (`claude-3.5-sonnet`).
  row('claude-3-opus', /^claude-3-opus(?:-\d{8}|-latest)?$/, 15, 75, '2024-03-04'),
  row('claude-3-sonnet', /^claude-3-sonnet(?:-\d{8})?$/, 3, 15, '2024-03-04'),
  row('claude-3-haiku', /^claude-3-haiku(?:-\d{8})?$/, 0.25, 1.25, '2024-03-13'),
  row('claude-3-5-sonnet', /^claude-3[.-]5-sonnet(?:-\d{8}|-latest)?$/, 3, 15, '2024-06-20'),
  row('claude-3-5-haiku', /^claude-3[.-]5-haiku(?:-\d{8}|-latest)?$/, 1, 5, '2024-11-04'),
  row('claude-3-5-haiku', /^claude-3[.-]5-haiku(?:-\d{8}|-latest)?$/, 0.8, 4, '2024-12-03'),
  row('claude-3-7-sonnet', /^claude-3[.-]7-sonnet(?:-\d{8}|-latest)?$/, 3, 15, '2025-02-24'),
  row('claude-sonnet-4', /^claude-(?:sonnet-4|4-sonnet)(?:-0)?(?:-\d{8})?$/, 3, 15, '2025-05-22'),
  row('claude-opus-4', /^claude-(?:opus-4|4-opus)(?:-0)?(?:-\d{8})?$/, 15, 75, '2025-05-22'),
  row('claude-opus-4-1', /^claude-opus-4[.-]1(?:-\d{8})?$/, 15, 75, '2025-08-05'),
  row('claude-sonnet-4-5', /^claude-sonnet-4[.-]5(?:-\d{8})?$/, 3, 15, '2025-09-29'),
  row('claude-haiku-4-5', /^claude-haiku-4[.-]5(?:-\d{8})?$/, 1, 5, '2025-10-15'),
  row('claude-opus-4-5', /^claude-opus-4[.-]5(?:-\d{8})?$/, 5, 25, '2025-11-24'),

  // Google, prompts up to 128k (1.5) or 200k (2.5, 3) tokens. Free `-exp` models are left unmatched.
  row('gemini-1.5-pro', /^gemini-1\.5-pro(?:-\d{3}|-latest)?$/, 3.5, 10.5, '2024-05-14'),
  row('gemini-1.5-pro', /^gemini-1\.5-pro(?:-\d{3}|-latest)?$/, 1.25, 5, '2024-10-01'),
  row('gemini-1.5-flash', /^gemini-1\.5-flash(?:-\d{3}|-latest)?$/, 0.35, 1.05, '2024-05-14'),
  row('gemini-1.5-flash', /^gemini-1\.5-flash(?:-\d{3}|-latest)?$/, 0.075, 0.3, '2024-08-12'),
  row('gemini-1.5-flash-8b', /^gemini-1\.5-flash-8b(?:-\d{3}|-latest)?$/, 0.0375, 0.15, '2024-10-03'),
  row('gemini-2.0-flash', /^gemini-2\.0-flash(?:-\d{3})?$/, 0.1, 0.4, '2025-02-05'),
  row('gemini-2.0-flash-lite', /^gemini-2\.0-flash-lite(?:-\d{3}|-preview-\d{2}-\d{2})?$/, 0.075, 0.3, '2025-02-05'),
  row('gemini-2.5-pro', /^gemini-2\.5-pro(?:-preview-\d{2}-\d{2})?$/, 1.25, 10, '2025-04-04'),
  // The 2.5 Flash previews kept their non-thinking preview price; GA raised it.
  row('gemini-2.5-flash', /^gemini-2\.5-flash-preview-\d{2}-\d{2}$/, 0.15, 0.6, '2025-04-17'),
  row('gemini-2.5-flash', /^gemini-2\.5-flash(?:-\d{3}|-preview-\d{2}-\d{4})?$/, 0.3, 2.5, '2025-06-17'),
  row('gemini-2.5-flash-lite', /^gemini-2\.5-flash-lite(?:-\d{3}|-preview-\d{2}-\d{2,4})?$/, 0.1, 0.4, '2025-06-17'),
  row('gemini-3-pro', /^gemini-3-pro(?:-preview)?$/, 2, 12, '2025-11-18'),

  // Mistral. Only known snapshots are matched, so a new one is unpriced rather than mispriced.
  row('mistral-large', /^mistral-large(?:-2407|-2411|-latest)?$/, 3, 9, '2024-07-24'),
  row('mistral-large', /^mistral-large(?:-2407|-2411|-latest)?$/, 2, 6, '2024-09-17'),
  row('mistral-small', /^mistral-small-2409$/, 0.2, 0.6, '2024-09-17'),
  row('mistral-small', /^mistral-small(?:-2501|-2503|-2506|-latest)?$/, 0.1, 0.3, '2025-01-30'),
  row('codestral', /^codestral(?:-2501|-2508|-latest)?$/, 0.3, 0.9, '2025-01-13'),
  row('open-mistral-nemo', /^(?:open-)?mistral-nemo(?:-2407|-latest)?$/, 0.3, 0.3, '2024-07-18'),
  row('open-mistral-nemo', /^(?:open-)?mistral-nemo(?:-2407|-latest)?$/, 0.15, 0.15, '2024-09-17'),

  // Meta Llama as hosted (Together AI list). Hosts spell it `llama-3.1-8b-instant` (Groq),
  // `meta-llama-3.1-8b-instruct-turbo` (Together), `llama3.1-8b` (Cerebras), `llama-v3p1-8b-instruct` (Fireworks).
  row('llama-3.1-8b', /^(?:meta-)?llama-?v?3[.p-]1-8b(?:-[a-z0-9.-]+)?$/, 0.18, 0.18, '2024-07-23'),
  row('llama-3.1-70b', /^(?:meta-)?llama-?v?3[.p-]1-70b(?:-[a-z0-9.-]+)?$/, 0.88, 0.88, '2024-07-23'),
  row('llama-3.1-405b', /^(?:meta-)?llama-?v?3[.p-]1-405b(?:-[a-z0-9.-]+)?$/, 3.5, 3.5, '2024-07-23'),
  row('llama-3.3-70b', /^(?:meta-)?llama-?v?3[.p-]3-70b(?:-[a-z0-9.-]+)?$/, 0.88, 0.88, '2024-12-06'),
];
