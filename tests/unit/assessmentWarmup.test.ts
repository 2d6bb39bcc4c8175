/**
 * The assessment's warm-up at start-up (services/ingest/assessmentWarmup.ts): its sample must
 * reach every detector, the validator budget of every validating kind and the large-exchange
 * paths (slices, worker threads), or the first crafted call compiles them after all; and it
 * must never stop the server from starting.
 */
import type { Logger } from 'pino';
import { afterAll, describe, expect, it, vi } from 'vitest';
import { BUDGETED_PII_TYPES, PII_TYPES, scanPii } from '../../src/domain/risk/pii.js';
import { loadInjectionGuard } from '../../src/services/guard/guardModel.js';
import { SLICED_ASSESSMENT_CHARS, WORKER_PROMPT_CHARS } from '../../src/services/ingest/assessment.js';
import { assessExchangeAsync } from '../../src/services/ingest/largeAssessment.js';
import {
  LARGE_WARMUP_CHARS,
  MANY_WARMUP_MESSAGES,
  MANY_WARMUP_ROUNDS,
  WARMUP_ROUNDS,
  largeWarmupSample,
  manyWarmupMessages,
  warmUpAssessment,
  warmupMessages,
  warmupSample,
} from '../../src/services/ingest/assessmentWarmup.js';
import { closeAssessmentWorkers } from '../../src/services/ingest/assessmentWorkers.js';

afterAll(() => closeAssessmentWorkers());

describe('the assessment warm-up', () => {
  const sample = warmupSample();

  it('should hold every kind of PII and secret, past the budget of each validating kind', () => {
    const scan = scanPii(sample);
    expect([...scan.types].sort()).toEqual([...PII_TYPES].sort());
    expect([...scan.saturated].sort()).toEqual([...BUDGETED_PII_TYPES].sort());
  });

  it('should be large enough for the sliced path and the worker threads, and small enough to stay cheap', () => {
    expect(sample.length * 2).toBeGreaterThan(SLICED_ASSESSMENT_CHARS);
    expect(sample.length).toBeGreaterThanOrEqual(WORKER_PROMPT_CHARS);
    expect(sample.length).toBeLessThan(SLICED_ASSESSMENT_CHARS);
  });

  it('should end with a sample as long as a request lets a prompt be', () => {
    const large = largeWarmupSample(sample);
    expect(large.length).toBeGreaterThan(LARGE_WARMUP_CHARS - sample.length);
    expect(large.length).toBeLessThanOrEqual(LARGE_WARMUP_CHARS);
    expect(Buffer.byteLength(large, 'utf8')).toBeLessThanOrEqual(1024 * 1024); // the validators' 1 MB
    expect(large.startsWith(sample)).toBe(true);
  });

  it('should score the sample as an exchange and as a prompt alone, in every round, and flag what it holds', async () => {
    const { guard } = loadInjectionGuard();
    const calls: { prompt: string | null; response: string | null; messages: number; flags: string[] }[] = [];
    const assess: typeof assessExchangeAsync = async (project, policy, exchange, g) => {
      const result = await assessExchangeAsync(project, policy, exchange, g);
      const messages = exchange.messages?.length ?? 0;
      calls.push({ prompt: exchange.prompt, response: exchange.response, messages, flags: result.flags });
      return result;
    };
    const ms = await warmUpAssessment(guard, undefined, assess);
    expect(ms).toBeGreaterThan(0);
    expect(calls).toHaveLength(2 * WARMUP_ROUNDS + 3 + MANY_WARMUP_ROUNDS);
    expect(calls.filter((c) => c.response === null)).toHaveLength(WARMUP_ROUNDS);
    // then prompt and response of the large sample
    const large = calls[2 * WARMUP_ROUNDS]!;
    expect(large.prompt).toBe(largeWarmupSample(sample));
    expect(large.response).toBe(large.prompt);
    // then two chat calls at once of the sample's messages: together long enough for their PII halves to go to a worker
    const messages = warmupMessages(sample);
    expect(messages.reduce((sum, m) => sum + m.content.length, 0)).toBeGreaterThanOrEqual(WORKER_PROMPT_CHARS);
    const chats = calls.slice(2 * WARMUP_ROUNDS + 1, 2 * WARMUP_ROUNDS + 3);
    expect(chats.map((c) => c.messages)).toEqual([messages.length, messages.length]);
    // last, calls of many short messages, one after another, as many messages as a large chat call has
    const many = manyWarmupMessages(sample);
    expect(many).toHaveLength(MANY_WARMUP_MESSAGES);
    expect(MANY_WARMUP_MESSAGES).toBeGreaterThanOrEqual(500);
    expect(new Set(many.map((m) => m.content)).size).toBeGreaterThan(50);
    expect(calls.slice(-MANY_WARMUP_ROUNDS).map((c) => c.messages)).toEqual(
      Array.from({ length: MANY_WARMUP_ROUNDS }, () => MANY_WARMUP_MESSAGES),
    );
    for (const c of calls) {
      expect(c.flags).toEqual(expect.arrayContaining(['injection:override', 'pii:phone', 'secret:private_key']));
    }
  }, 60_000);

  it('should resolve and log a warning, never reject, when the assessment fails', async () => {
    const warn = vi.fn();
    const logger = { warn } as unknown as Logger;
    const failing: typeof assessExchangeAsync = () => Promise.reject(new Error('scorer broke'));
    await expect(warmUpAssessment(null, logger, failing)).resolves.toEqual(expect.any(Number));
    expect(warn).toHaveBeenCalledWith({ err: 'scorer broke' }, expect.stringContaining('warm-up failed'));
  });
});
