import { existsSync, readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { makeBodies } from '../../bench/bodies.js';
import { riskDatasetPath } from '../../scripts/riskDataset.js';
import { requiredLiterals } from '../../src/domain/risk/regexTriggers.js';
import { CONTENT_RULES, INJECTION_RULES } from '../../src/domain/risk/riskPatterns.js';
import { joinRules, matchesAny, type PatternRule } from '../../src/domain/risk/ruleMatching.js';

describe('requiredLiterals', () => {
  it.each([
    [/\bignore\s+(?:all|any)\b/u, ['ignore']],
    [/\b(?:kill|murder)\s+(?:him|her)\b/u, ['kill', 'murder']],
    [/(?:build|make)\s+a\s+(?:bomb|explosive)/u, ['bomb', 'explosive']], // "make" is too common to prefer
    [/\bstart(?:s|ing)?\s+over/u, ['over']],
    [/<\|(?:im_start|im_end)\|>/u, ['<|im_start|>', '<|im_end|>']],
    [/[Yy]ou\s+are\s+DAN/u, ['DAN']],
    [/(?:ab){2}c/u, ['ababc']],
    [/x+yz/u, ['yz']], // a run of literals restarts after an open-ended quantifier
  ])('should find what every match of %s contains', (re, expected) => {
    expect(requiredLiterals(re)?.sort()).toEqual([...expected].sort());
  });

  it.each([
    /\b(?:foo)?\s+\p{L}+/u, // optional literal, then classes
    /a|\s+/u, // one alternative without a literal
    /(?:abc)*/u,
    /[^abc]{3,}/u,
    /(.)\1/u,
    /x/iu, // case-insensitive patterns are not analysed
  ])('should know nothing about %s', (re) => {
    expect(requiredLiterals(re)).toBeNull();
  });

  it('should never claim a literal a match lacks (every rule, on texts made to match it)', () => {
    // Each rule's own required literals must occur in every string the rule matches; the texts
    // are built from the literals themselves so that many rules do match.
    const rules = [...Object.values(INJECTION_RULES), ...Object.values(CONTENT_RULES)].flat() as PatternRule[];
    const vocabulary = rules.flatMap((r) => requiredLiterals(r.re) ?? []);
    const words = [
      ...vocabulary,
      'you',
      'are',
      'now',
      'all',
      'your',
      'the',
      'a',
      'me',
      'to',
      'so',
      'als',
      'ob',
      'du',
      '.',
      ':',
    ];
    let seed = 11;
    const next = () => (seed = (seed * 1664525 + 1013904223) >>> 0) / 2 ** 32;
    let matched = 0;
    for (let i = 0; i < 6_000; i++) {
      const text = Array.from(
        { length: 2 + Math.floor(next() * 8) },
        () => words[Math.floor(next() * words.length)],
      ).join(' ');
      for (const rule of rules) {
        const subject = rule.caseSensitive ? text : text.toLowerCase();
        const m = rule.re.exec(subject);
        if (!m) continue;
        matched++;
        const required = requiredLiterals(rule.re);
        if (required)
          expect(
            required.some((l) => m[0].includes(l)),
            `${rule.re.source} on ${m[0]}`,
          ).toBe(true);
      }
    }
    expect(matched).toBeGreaterThan(300);
  });
});

// The public prompt-injection set when present (scripts/riskDataset.ts says where it is read from).
const DATASET = riskDatasetPath();

describe('rule tables with their literal check', () => {
  const tables = [...Object.entries(INJECTION_RULES), ...Object.entries(CONTENT_RULES)] as [string, PatternRule[]][];
  const samples = [
    ...makeBodies(300).flatMap((b) => {
      const body = JSON.parse(b) as { prompt: string; response: string | null };
      return [body.prompt, body.response ?? ''];
    }),
    ...(existsSync(DATASET)
      ? readFileSync(DATASET, 'utf8')
          .trim()
          .split('\n')
          .map((line) => (JSON.parse(line) as { text: string }).text)
      : []),
  ];

  it('should answer exactly as without it, and skip most flags on ordinary text', () => {
    let skipped = 0;
    let checks = 0;
    for (const [flag, rules] of tables) {
      const checked = joinRules(rules);
      const unchecked = joinRules(rules, { triggers: false });
      expect(checked.triggers, flag).not.toBeNull();
      for (const text of samples) {
        const lower = text.toLowerCase();
        checks++;
        if (!checked.triggers!.test(lower)) skipped++;
        expect(matchesAny(checked, text, lower), `${flag}: ${text.slice(0, 80)}`).toBe(
          matchesAny(unchecked, text, lower),
        );
      }
    }
    expect(skipped / checks).toBeGreaterThan(0.5);
  });
});
