import { describe, expect, it } from 'vitest';
import { decide, type DecisionInput } from '../../src/domain/risk/decision.js';

const base: DecisionInput = { score: 0, threshold: 70, flags: [], piiMode: 'off' };

describe('decide: the decision table', () => {
  it.each<[string, Partial<DecisionInput>, 'allow' | 'flag' | 'block']>([
    ['nothing found', {}, 'allow'],
    ['low score without findings', { score: 29 }, 'allow'],
    ['only the explanatory model:adjusted flag', { flags: ['model:adjusted'] }, 'allow'],
    ['medium score', { score: 30 }, 'flag'],
    ['high score under the threshold', { score: 69, flags: ['injection:override'] }, 'flag'],
    ['score at the threshold', { score: 70, flags: ['injection:override'] }, 'block'],
    ['score over a low (remediation) threshold without flags', { score: 12, threshold: 10 }, 'block'],
    ['PII in the prompt, piiMode off', { score: 10, flags: ['pii:email'] }, 'flag'],
    ['PII in the prompt, piiMode redact', { score: 10, flags: ['pii:email'], piiMode: 'redact' }, 'flag'],
    ['PII in the prompt, piiMode block', { score: 10, flags: ['pii:email', 'pii:blocked'], piiMode: 'block' }, 'block'],
    [
      'PII only in the response, piiMode block',
      { score: 13, flags: ['response:pii:email'], piiMode: 'block' },
      'block',
    ],
    ['a secret only in the response, piiMode block', { flags: ['response:secret:api_key'], piiMode: 'block' }, 'block'],
    ['PII only in the response, piiMode off', { score: 13, flags: ['response:pii:email'] }, 'flag'],
    ['a secret in the prompt', { score: 50, flags: ['secret:api_key'] }, 'flag'],
    ['harmful content under medium', { score: 25, flags: ['content:violence'] }, 'flag'],
    ['model outside allowedModels, replaced by the fallback', { flags: ['model:not_allowed'] }, 'flag'],
    ['piiMode block without any PII', { score: 5, piiMode: 'block' }, 'allow'],
  ])('%s -> %s', (_name, over, expected) => {
    expect(decide({ ...base, ...over })).toBe(expected);
  });
});
