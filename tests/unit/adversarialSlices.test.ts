/**
 * Issue 24 item 3: a sliced assessment of a crafted megabyte must pause often enough that no
 * other request waits more than ~50 ms. Timing it here would be flaky under load, so this
 * counts work instead: for each bench shape (bench/adversarialShapes.ts, prompt and response
 * both the shape, piiMode redact) it runs the assessment's steps and records, between two
 * pauses, the characters lower-cased, the characters a rule regex was run over and the elements
 * sorted. Before the fix each shape had a step lower-casing 1.3 MB and running a rule over all
 * of it, and the PII shapes one sorting every match (~45-150k).
 */
import { afterEach, describe, expect, it, vi } from 'vitest';
import { SHAPES } from '../../bench/adversarialShapes.js';
import { NFKC_GROWTH_LIMIT } from '../../src/domain/guard/normalize.js';
import { CONTENT_RULES, INJECTION_RULES, LEAK_PHRASES } from '../../src/domain/risk/riskPatterns.js';
import { joinRules } from '../../src/domain/risk/ruleMatching.js';
import { assessExchangeSteps } from '../../src/services/ingest/assessment.js';
import type { ProjectContext } from '../../src/services/auth/keyCache.js';
import { loadInjectionGuard } from '../../src/services/guard/guardModel.js';

/** Most characters (or elements) one step may put through one of the metered operations. */
const STEP_LIMIT = 64 * 1024;

const RULE_SOURCES = new Set<string>();
for (const rules of [...Object.values(INJECTION_RULES), ...Object.values(CONTENT_RULES), [LEAK_PHRASES]]) {
  const joined = joinRules(rules);
  for (const re of [joined.lower, joined.cased]) if (re) RULE_SOURCES.add(re.source);
}

const project = { projectId: 'p', piiMode: 'redact', guardMode: 'enforce', safetyThreshold: 70 } as ProjectContext;
const policy = { effectiveModel: 'gpt-4o', systemPrompt: null, safetyThreshold: 70, applied: [], flags: [] };
const { guard } = loadInjectionGuard();

type Meter = { lowerCased: number; ruleScanned: number; sorted: number };

/** The largest amount of each metered operation any one step did. */
function meterSteps(text: string): Meter {
  const step: Meter = { lowerCased: 0, ruleScanned: 0, sorted: 0 };
  const worst: Meter = { lowerCased: 0, ruleScanned: 0, sorted: 0 };
  const toLowerCase = String.prototype.toLowerCase;
  const exec = RegExp.prototype.exec;
  const sort = Array.prototype.sort;
  vi.spyOn(String.prototype, 'toLowerCase').mockImplementation(function (this: string) {
    step.lowerCased += this.length;
    return toLowerCase.call(this);
  });
  vi.spyOn(RegExp.prototype, 'exec').mockImplementation(function (this: RegExp, input: string) {
    if (RULE_SOURCES.has(this.source))
      step.ruleScanned += input.length - (this.global || this.sticky ? this.lastIndex : 0);
    return exec.call(this, input);
  });
  vi.spyOn(Array.prototype, 'sort').mockImplementation(function <T>(this: T[], compare?: (a: T, b: T) => number) {
    step.sorted += this.length;
    return sort.call(this, compare) as T[];
  });
  const steps = assessExchangeSteps(project, policy, { prompt: text, response: text, model: 'gpt-4o' }, guard);
  for (;;) {
    const next = steps.next();
    for (const k of Object.keys(step) as (keyof Meter)[]) {
      worst[k] = Math.max(worst[k], step[k]);
      step[k] = 0;
    }
    if (next.done) return worst;
  }
}

/** U+FDFA's tail (past the NFKC growth limit) is one run of ~300k letters: rules test it whole (regexWindows.ts). */
const LONG_LETTER_RUN = new Set(['U+FDFA x 333k']);

describe('sliced assessment of the adversarial bench shapes', () => {
  afterEach(() => vi.restoreAllMocks());

  for (const { name, text } of SHAPES) {
    it(`should not lower-case, sort or run a rule over more than ${STEP_LIMIT / 1024}K at once: ${name}`, () => {
      const worst = meterSteps(text);
      expect(worst.lowerCased).toBeLessThanOrEqual(STEP_LIMIT);
      expect(worst.sorted).toBeLessThanOrEqual(STEP_LIMIT);
      if (LONG_LETTER_RUN.has(name)) expect(worst.ruleScanned).toBeLessThanOrEqual(text.length + NFKC_GROWTH_LIMIT);
      else expect(worst.ruleScanned).toBeLessThanOrEqual(STEP_LIMIT);
    }, 60_000);
  }
});
