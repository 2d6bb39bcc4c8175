import { describe, expect, it } from 'vitest';
import {
  estimateCostUsd,
  findPrice,
  isPriced,
  normalizeModelName,
  PRICE_TABLE,
  roundUsd,
  roundUsdExact,
  type PriceOverrides,
} from '../../src/domain/pricing.js';

const NOW = new Date('2025-11-30T12:00:00Z');
const familyOf = (model: string, at: Date = NOW) => findPrice(model, at)?.family ?? null;

describe('PRICE_TABLE', () => {
  it('should anchor every pattern at both ends and never use the stateful g or y flags', () => {
    for (const { pattern } of PRICE_TABLE) {
      expect(pattern.source, pattern.source).toMatch(/^\^.*\$$/);
      expect(pattern.flags, pattern.source).not.toMatch(/[gy]/);
    }
  });

  it('should hold positive prices and real UTC dates', () => {
    for (const entry of PRICE_TABLE) {
      expect(entry.inputPerMTok, entry.family).toBeGreaterThan(0);
      expect(entry.outputPerMTok, entry.family).toBeGreaterThan(0);
      expect(new Date(`${entry.effectiveFrom}T00:00:00Z`).toISOString().slice(0, 10)).toBe(entry.effectiveFrom);
    }
  });

  it('should not hold two rows for the same pattern and date', () => {
    const keys = PRICE_TABLE.map((entry) => `${entry.pattern.source}@${entry.effectiveFrom}`);
    expect(new Set(keys).size).toBe(keys.length);
  });
});

describe('findPrice model matching', () => {
  it.each([
    ['gpt-4o', 'gpt-4o'],
    ['gpt-4o-2024-11-20', 'gpt-4o'],
    ['gpt-4o-mini', 'gpt-4o-mini'],
    ['gpt-4o-mini-2024-07-18', 'gpt-4o-mini'],
    ['gpt-4.1-2025-04-14', 'gpt-4.1'],
    ['gpt-4.1-mini', 'gpt-4.1-mini'],
    ['gpt-4.1-nano-2025-04-14', 'gpt-4.1-nano'],
    ['gpt-5', 'gpt-5'],
    ['gpt-5-2025-08-07', 'gpt-5'],
    ['gpt-5-chat-latest', 'gpt-5'],
    ['gpt-5-mini-2025-08-07', 'gpt-5-mini'],
    ['gpt-5-nano', 'gpt-5-nano'],
    ['gpt-5.1', 'gpt-5.1'],
    ['o1', 'o1'],
    ['o1-preview-2024-09-12', 'o1'],
    ['o3-2025-04-16', 'o3'],
    ['o3-mini-2025-01-31', 'o3-mini'],
    ['o4-mini', 'o4-mini'],
    ['gpt-4-turbo-2024-04-09', 'gpt-4-turbo'],
    ['gpt-4-1106-preview', 'gpt-4-turbo'],
    ['gpt-3.5-turbo-0125', 'gpt-3.5-turbo'],
    ['claude-3-opus-20240229', 'claude-3-opus'],
    ['claude-3-sonnet-20240229', 'claude-3-sonnet'],
    ['claude-3-haiku-20240307', 'claude-3-haiku'],
    ['claude-3-5-sonnet-20241022', 'claude-3-5-sonnet'],
    ['claude-3-5-sonnet-latest', 'claude-3-5-sonnet'],
    ['claude-3-5-haiku-20241022', 'claude-3-5-haiku'],
    ['claude-3-7-sonnet-20250219', 'claude-3-7-sonnet'],
    ['claude-sonnet-4-20250514', 'claude-sonnet-4'],
    ['claude-sonnet-4-0', 'claude-sonnet-4'],
    ['claude-opus-4-20250514', 'claude-opus-4'],
    ['claude-opus-4-1-20250805', 'claude-opus-4-1'],
    ['claude-sonnet-4-5-20250929', 'claude-sonnet-4-5'],
    ['claude-haiku-4-5', 'claude-haiku-4-5'],
    ['claude-opus-4-5-20251101', 'claude-opus-4-5'],
    ['gemini-1.5-pro-002', 'gemini-1.5-pro'],
    ['gemini-1.5-flash-latest', 'gemini-1.5-flash'],
    ['gemini-1.5-flash-8b', 'gemini-1.5-flash-8b'],
    ['gemini-2.0-flash-001', 'gemini-2.0-flash'],
    ['gemini-2.0-flash-lite', 'gemini-2.0-flash-lite'],
    ['gemini-2.5-pro', 'gemini-2.5-pro'],
    ['gemini-2.5-flash', 'gemini-2.5-flash'],
    ['gemini-2.5-flash-lite', 'gemini-2.5-flash-lite'],
    ['gemini-3-pro-preview', 'gemini-3-pro'],
    ['mistral-large-2411', 'mistral-large'],
    ['mistral-large-latest', 'mistral-large'],
    ['mistral-small-latest', 'mistral-small'],
    ['codestral-2501', 'codestral'],
    ['open-mistral-nemo', 'open-mistral-nemo'],
    ['llama-3.1-8b-instant', 'llama-3.1-8b'],
    ['llama3.1-70b', 'llama-3.1-70b'],
    ['llama-v3p1-405b-instruct', 'llama-3.1-405b'],
    ['llama-3.3-70b-versatile', 'llama-3.3-70b'],
  ])('should resolve %s to the %s family', (model, family) => {
    expect(familyOf(model)).toBe(family);
  });

  it('should not resolve gpt-4o-mini or other gpt-4o variants to gpt-4o', () => {
    expect(findPrice('gpt-4o-mini', NOW)).toMatchObject({ family: 'gpt-4o-mini', inputPerMTok: 0.15 });
    expect(findPrice('gpt-4o-audio-preview', NOW)).toBeNull();
    expect(findPrice('chatgpt-4o-latest', NOW)).toBeNull();
  });

  it('should keep sibling families apart (flash vs flash-lite vs flash-8b, sonnet-4 vs sonnet-4-5)', () => {
    expect(familyOf('gemini-2.5-flash-lite-preview-06-17')).toBe('gemini-2.5-flash-lite');
    expect(familyOf('gemini-1.5-flash-8b-001')).toBe('gemini-1.5-flash-8b');
    expect(findPrice('claude-sonnet-4-5', NOW)?.family).toBe('claude-sonnet-4-5');
    expect(findPrice('claude-opus-4-5', NOW)?.inputPerMTok).toBe(5);
    expect(findPrice('claude-opus-4', NOW)?.inputPerMTok).toBe(15);
  });

  it('should let the exact snapshot row win over the family pattern', () => {
    // gpt-4o-2024-05-13 kept its launch price after the gpt-4o alias got cheaper.
    expect(findPrice('gpt-4o-2024-05-13', NOW)).toMatchObject({ inputPerMTok: 5, outputPerMTok: 15 });
    expect(findPrice('gpt-4o', NOW)).toMatchObject({ inputPerMTok: 2.5, outputPerMTok: 10 });
  });

  it('should match case-insensitively and ignore surrounding whitespace', () => {
    expect(familyOf('GPT-4o-Mini')).toBe('gpt-4o-mini');
    expect(familyOf('  Claude-3-5-Sonnet-20241022 ')).toBe('claude-3-5-sonnet');
  });

  it.each([
    ['openai/gpt-4o', 'gpt-4o'],
    ['anthropic/claude-3-5-sonnet-20241022', 'claude-3-5-sonnet'],
    ['anthropic/claude-3.5-sonnet', 'claude-3-5-sonnet'],
    ['openrouter/anthropic/claude-3.7-sonnet', 'claude-3-7-sonnet'],
    ['models/gemini-1.5-pro', 'gemini-1.5-pro'],
    ['google/gemini-2.5-flash', 'gemini-2.5-flash'],
    ['mistralai/mistral-large-2411', 'mistral-large'],
    ['meta-llama/Meta-Llama-3.1-8B-Instruct-Turbo', 'llama-3.1-8b'],
    ['meta-llama/Llama-3.3-70B-Instruct-Turbo', 'llama-3.3-70b'],
    ['us.anthropic.claude-3-5-sonnet-20241022-v2:0', 'claude-3-5-sonnet'],
    ['anthropic.claude-3-haiku-20240307-v1:0', 'claude-3-haiku'],
  ])('should tolerate the prefixed name %s', (model, family) => {
    expect(familyOf(model)).toBe(family);
  });

  it('should strip prefixes and lower-case in normalizeModelName', () => {
    expect(normalizeModelName(' OpenAI/GPT-4o ')).toBe('gpt-4o');
  });

  it.each([
    'gpt-4',
    'gpt-4o-mini-tts',
    'gpt-3.5-turbo-instruct',
    'o1-mini',
    'text-embedding-3-small',
    'claude-2.1',
    'gemini-2.0-flash-exp',
    'codestral-mamba',
    'mistral-large-2512',
    'llama-3.1-8',
    'ft:gpt-4o-mini-2024-07-18:acme::abc123',
    'anthropic/claude-3.5-sonnet:beta',
    '',
  ])('should return null for the unknown model %j', (model) => {
    expect(findPrice(model, NOW)).toBeNull();
  });

  it('should throw a RangeError for an invalid date', () => {
    expect(() => findPrice('gpt-4o', new Date('nope'))).toThrow(RangeError);
  });

  it('should default the date to now', () => {
    expect(findPrice('o3')).toMatchObject({ inputPerMTok: 2, outputPerMTok: 8 });
  });
});

describe('findPrice effective dates', () => {
  it('should price an older request at the price in effect when it was made', () => {
    expect(findPrice('o3', new Date('2025-05-01T00:00:00Z'))).toMatchObject({ inputPerMTok: 10, outputPerMTok: 40 });
    expect(findPrice('o3', new Date('2025-07-01T00:00:00Z'))).toMatchObject({ inputPerMTok: 2, outputPerMTok: 8 });
  });

  it('should switch to the new price at 00:00 UTC of its effective day', () => {
    expect(findPrice('o3', new Date('2025-06-09T23:59:59.999Z'))?.inputPerMTok).toBe(10);
    expect(findPrice('o3', new Date('2025-06-10T00:00:00.000Z'))?.inputPerMTok).toBe(2);
  });

  it('should keep the old gpt-4o alias price before 2024-10-02 and the new one after', () => {
    expect(findPrice('gpt-4o', new Date('2024-09-01T00:00:00Z'))?.inputPerMTok).toBe(5);
    expect(findPrice('gpt-4o', new Date('2024-10-02T00:00:00Z'))?.inputPerMTok).toBe(2.5);
    expect(findPrice('gpt-4o-2024-08-06', new Date('2024-09-01T00:00:00Z'))?.inputPerMTok).toBe(2.5);
  });

  it('should return null for a request made before the model was priced', () => {
    expect(findPrice('o3', new Date('2025-01-01T00:00:00Z'))).toBeNull();
  });

  it('should report the row effectiveFrom of the price it used', () => {
    expect(findPrice('gemini-1.5-flash', new Date('2024-06-01T00:00:00Z'))).toMatchObject({
      effectiveFrom: '2024-05-14',
      inputPerMTok: 0.35,
      source: 'table',
    });
  });
});

describe('findPrice overrides', () => {
  it('should prefer an override keyed by the exact model name', () => {
    const overrides: PriceOverrides = { 'gpt-4o-2024-08-06': { inputPerMTok: 1, outputPerMTok: 2 } };
    expect(findPrice('gpt-4o-2024-08-06', NOW, overrides)).toMatchObject({
      family: 'gpt-4o',
      inputPerMTok: 1,
      outputPerMTok: 2,
      source: 'override',
    });
    expect(findPrice('gpt-4o-2024-11-20', NOW, overrides)).toMatchObject({ inputPerMTok: 2.5, source: 'table' });
  });

  it('should apply an override keyed by family id to every variant of the family', () => {
    const overrides: PriceOverrides = { 'claude-3-5-sonnet': { inputPerMTok: 2, outputPerMTok: 10 } };
    expect(findPrice('anthropic/claude-3.5-sonnet', NOW, overrides)).toMatchObject({ inputPerMTok: 2 });
    expect(findPrice('claude-3-5-sonnet-20240620', NOW, overrides)).toMatchObject({ outputPerMTok: 10 });
    expect(findPrice('claude-3-7-sonnet', NOW, overrides)?.source).toBe('table');
  });

  it('should let the exact-name override win over the family override', () => {
    const overrides: PriceOverrides = {
      'gpt-4o': { inputPerMTok: 1, outputPerMTok: 1 },
      'gpt-4o-2024-11-20': { inputPerMTok: 3, outputPerMTok: 3 },
    };
    expect(findPrice('gpt-4o-2024-11-20', NOW, overrides)?.inputPerMTok).toBe(3);
    expect(findPrice('gpt-4o-2024-08-06', NOW, overrides)?.inputPerMTok).toBe(1);
  });

  it('should match override keys case-insensitively, with or without the provider prefix', () => {
    const overrides: PriceOverrides = { 'OpenAI/GPT-4o-Mini': { inputPerMTok: 9, outputPerMTok: 9 } };
    expect(findPrice('openai/gpt-4o-mini', NOW, overrides)?.inputPerMTok).toBe(9);
    expect(findPrice('gpt-4o-mini', NOW, overrides)?.source).toBe('table');
    expect(
      findPrice('OPENAI/gpt-4o-mini', NOW, { 'gpt-4o-mini': { inputPerMTok: 7, outputPerMTok: 7 } }),
    ).toMatchObject({ inputPerMTok: 7 });
  });

  it('should price a model the table does not know when an override names it', () => {
    const overrides: PriceOverrides = { 'acme-finetune-v3': { inputPerMTok: 0.5, outputPerMTok: 1 } };
    const price = findPrice('acme-finetune-v3', NOW, overrides);
    expect(price).toMatchObject({ family: 'acme-finetune-v3', inputPerMTok: 0.5, source: 'override' });
    expect(price?.pattern.test('acme-finetune-v3')).toBe(true);
    expect(price?.pattern.test('acme-finetune-v30')).toBe(false);
  });

  it('should apply an override even before the table first priced the model', () => {
    const overrides: PriceOverrides = { o3: { inputPerMTok: 4, outputPerMTok: 16 } };
    expect(findPrice('o3', new Date('2025-01-01T00:00:00Z'), overrides)).toMatchObject({
      family: 'o3',
      inputPerMTok: 4,
    });
  });
});

describe('isPriced', () => {
  it('should be true for a known model at any date and false for an unknown one', () => {
    expect(isPriced('anthropic/claude-3-5-haiku-20241022')).toBe(true);
    expect(isPriced('gpt-4o-mini-tts')).toBe(false);
  });

  it('should be true for an unknown model named by an override', () => {
    expect(isPriced('Acme-Model', { 'acme-model': { inputPerMTok: 1, outputPerMTok: 1 } })).toBe(true);
  });
});

describe('estimateCostUsd', () => {
  it('should add input and output cost per million tokens', () => {
    // 1,000 × $2.50/M + 500 × $10/M = $0.0025 + $0.005
    expect(estimateCostUsd({ model: 'gpt-4o', promptTokens: 1000, completionTokens: 500, at: NOW })).toBe(0.0075);
  });

  it('should return null for an unknown model', () => {
    expect(estimateCostUsd({ model: 'my-local-model', promptTokens: 10, completionTokens: 10, at: NOW })).toBeNull();
  });

  it('should return 0 for a known model with no token counts', () => {
    expect(estimateCostUsd({ model: 'gpt-4o', at: NOW })).toBe(0);
    expect(estimateCostUsd({ model: 'gpt-4o', promptTokens: 0, completionTokens: null, at: NOW })).toBe(0);
  });

  it('should return null, not 0, for an unknown model with no token counts', () => {
    expect(estimateCostUsd({ model: 'unknown-model' })).toBeNull();
  });

  it('should price by the date of the request', () => {
    const request = { model: 'o3', promptTokens: 1_000_000, completionTokens: 1_000_000 };
    expect(estimateCostUsd({ ...request, at: new Date('2025-05-01T00:00:00Z') })).toBe(50);
    expect(estimateCostUsd({ ...request, at: new Date('2025-07-01T00:00:00Z') })).toBe(10);
  });

  it('should use overrides', () => {
    const overrides: PriceOverrides = { 'gemini-2.0-flash': { inputPerMTok: 1, outputPerMTok: 1 } };
    expect(estimateCostUsd({ model: 'gemini-2.0-flash-001', promptTokens: 3, completionTokens: 4, overrides })).toBe(
      0.000007,
    );
  });

  it('should round to 8 decimal places', () => {
    // 1 × $0.15/M = 0.00000015; 7 × $0.0375/M = 0.0000002625 -> 0.00000026
    expect(estimateCostUsd({ model: 'gpt-4o-mini', promptTokens: 1, at: NOW })).toBe(0.00000015);
    expect(estimateCostUsd({ model: 'gemini-1.5-flash-8b', promptTokens: 7, at: NOW })).toBe(0.00000026);
  });

  it('should round a half-way cost up despite binary floating point', () => {
    // 9 × $0.075/M is 0.000000675 in decimal but 6.749999...e-7 in binary, so naive x * 1e8 rounds down.
    expect(estimateCostUsd({ model: 'gemini-1.5-flash', promptTokens: 9, at: NOW })).toBe(0.00000068);
    expect(estimateCostUsd({ model: 'gemini-1.5-flash', promptTokens: 63, at: NOW })).toBe(0.00000473);
    expect(estimateCostUsd({ model: 'gemini-1.5-flash', promptTokens: 1, at: NOW })).toBe(0.00000008);
  });

  it('should not lose precision on large token counts', () => {
    // 123,456,789 × $3/M + 98,765,432 × $15/M = 370.370367 + 1481.48148
    expect(
      estimateCostUsd({ model: 'claude-sonnet-4', promptTokens: 123_456_789, completionTokens: 98_765_432, at: NOW }),
    ).toBe(1851.851847);
  });

  it('should throw a RangeError for negative or non-finite token counts', () => {
    expect(() => estimateCostUsd({ model: 'gpt-4o', promptTokens: -1 })).toThrow(RangeError);
    expect(() => estimateCostUsd({ model: 'gpt-4o', completionTokens: Number.NaN })).toThrow(RangeError);
  });
});

describe('roundUsd', () => {
  // a seeded generator: the same values on every run
  let seed = 20261205;
  const random = () => {
    seed = (Math.imul(seed, 1664525) + 1013904223) >>> 0;
    return seed / 2 ** 32;
  };
  const prices = [0.075, 0.1, 0.15, 0.3, 0.6, 1.1, 1.25, 2.5, 3, 4.4, 5, 10, 15, 30, 60, 75];

  it('should round every cost exactly as the string form does', () => {
    const values: number[] = [];
    for (let i = 0; i < 100_000; i++) {
      // what estimateCostUsd rounds: tokens times a price per million tokens
      const promptTokens = Math.floor(random() * 200_000);
      const completionTokens = Math.floor(random() * 20_000);
      const input = prices[Math.floor(random() * prices.length)]!;
      const output = prices[Math.floor(random() * prices.length)]!;
      values.push((promptTokens * input + completionTokens * output) / 1_000_000);
      // and any magnitude from 1e-12 to about 30 USD
      values.push(10 ** (random() * 13.5 - 12));
    }
    for (let i = 0; i < 20_000; i++) {
      // ties and near-ties at the eighth decimal, where the binary product errs
      const k = Math.floor(random() * 1e9);
      values.push((k + 0.5) / 1e8, k / 1e8 + 5e-9, (k + 0.49999) / 1e8, (k + 0.50001) / 1e8);
    }
    values.push(7.5e-8, 1.5e-8, 0.000000125, 12.345678905, 9.999999995, 0, 1e-20, 123456.789012345);
    let differ = 0;
    for (const v of values) if (!Object.is(roundUsd(v), roundUsdExact(v))) differ++;
    expect(differ).toBe(0);
  });

  it('should round ties half up', () => {
    expect(roundUsd(7.5e-8)).toBe(8e-8);
    expect(roundUsd(1.25e-8)).toBe(1e-8);
    expect(roundUsd(0.000000125)).toBe(1.3e-7);
  });
});
