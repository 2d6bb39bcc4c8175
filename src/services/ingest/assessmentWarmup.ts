/**
 * The assessment's warm-up at start-up: a large exchange is scored before the server takes its
 * first request, so that the first crafted megabyte a client sends does not also pay for
 * compiling the detectors it is the first to reach.
 *
 * V8 compiles a function when it first runs and optimises it once it has run enough. A
 * megabyte of phone-like numbers reaches the phone validator, its budget and the redaction of
 * what the budget left unverified; a megabyte of e-mail addresses reaches another set. Each
 * set ran unoptimised on its first large text: that first call cost 2-3x the next ones (end to
 * end, the first 1 MB call of a shape took up to 466 ms where later ones took 160-220). What the
 * warm-up changed, and what it did not, is measured in docs/INGESTION.md.
 *
 * The sample is generic, not any one crafted input: ordinary prose in English and German with
 * one of everything the scorers look for (each PII kind, secrets, an injection phrase, spaced
 * letters, look-alike letters, characters NFKC expands, invisible characters, a base64 run),
 * followed by a run of more candidates than the validator budget of each validating kind
 * checks (pii.ts: PII_CANDIDATE_LIMIT), so the "saturated" path is compiled too. Prompt and
 * response both hold it, over the size from which the request paths score in slices and on
 * the worker threads, so those paths are the ones warmed.
 */
import type { Logger } from 'pino';
import type { InjectionGuard } from '../../domain/guard/injectionGuard.js';
import type { ProjectContext } from '../auth/keyCache.js';
import type { Enforcement } from '../incidents/remediationEnforcer.js';
import { assessExchangeAsync } from './assessment.js';
import { largeWarmupSample, WARMUP_ROUNDS, WARMUP_SYSTEM_PROMPT, warmupSample } from './assessmentWarmupSample.js';

export { LARGE_WARMUP_CHARS, largeWarmupSample, WARMUP_ROUNDS, warmupSample } from './assessmentWarmupSample.js';

const WARMUP_PROJECT = {
  projectId: 'warm-up',
  piiMode: 'redact',
  guardMode: 'enforce',
  safetyThreshold: 70,
  systemPrompt: null,
} as unknown as ProjectContext;

const WARMUP_POLICY: Enforcement = {
  effectiveModel: 'warm-up',
  systemPrompt: WARMUP_SYSTEM_PROMPT,
  safetyThreshold: 70,
  applied: [],
  flags: [],
};

/**
 * Scores the sample as a reported exchange (prompt and response, piiMode redact) and as a
 * prompt alone (the gateway's check before the upstream call), WARMUP_ROUNDS times, in slices
 * like any large request, then once an exchange of the large sample. Resolves with the time it
 * took; never rejects (a failure is logged and only costs the warm-up). `assess` is the
 * assessment to warm (a test passes its own).
 */
export async function warmUpAssessment(
  guard: InjectionGuard | null,
  logger?: Logger,
  assess: typeof assessExchangeAsync = assessExchangeAsync,
): Promise<number> {
  const started = performance.now();
  try {
    const sample = warmupSample();
    for (let round = 0; round < WARMUP_ROUNDS; round++) {
      await assess(WARMUP_PROJECT, WARMUP_POLICY, { prompt: sample, response: sample, model: 'warm-up' }, guard);
      await assess(WARMUP_PROJECT, WARMUP_POLICY, { prompt: sample, response: null, model: 'warm-up' }, guard);
    }
    const large = largeWarmupSample(sample);
    await assess(WARMUP_PROJECT, WARMUP_POLICY, { prompt: large, response: large, model: 'warm-up' }, guard);
  } catch (err) {
    logger?.warn({ err: (err as Error).message }, 'assessment warm-up failed (the first large call compiles instead)');
  }
  return performance.now() - started;
}
