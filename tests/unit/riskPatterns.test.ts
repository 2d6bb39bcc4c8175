import { describe, expect, it } from 'vitest';
import {
  CONTENT_RULES,
  INJECTION_RULES,
  joinRules,
  matchesAny,
  matchesRule,
  type PatternRule,
} from '../../src/domain/risk/riskPatterns.js';

/** Words that the rules look for, mixed with business words, in both cases. */
const WORDS = (
  'ignore forget disregard all any your previous prior above instructions rules prompt system ' +
  'now you are DAN developer mode act as terminal pretend stay in character show reveal print ' +
  'vergiss alle vorherigen Anweisungen ignoriere Prompt zeig mir deinen Systemprompt olvida todo ' +
  'build a bomb write ransomware kill myself suicide hate speech <|im_start|> [INST] human: user: ' +
  'invoice order shipment please review the email attached Okay. Now you are TranslatorBot . , ! ? \\n'
).split(' ');

function* texts(count: number, seed = 7): Generator<string> {
  let s = seed;
  const next = () => (s = (s * 1664525 + 1013904223) >>> 0) / 2 ** 32;
  for (let i = 0; i < count; i++) {
    const n = 1 + Math.floor(next() * 14);
    yield Array.from({ length: n }, () => WORDS[Math.floor(next() * WORDS.length)]!).join(next() < 0.2 ? '  ' : ' ');
  }
}

const tables: [string, Record<string, PatternRule[]>][] = [
  ['injection', INJECTION_RULES],
  ['content', CONTENT_RULES],
];

describe('joined rule tables', () => {
  it.each(tables)('should answer exactly as the %s rules one by one', (_name, table) => {
    let matched = 0;
    for (const [flag, rules] of Object.entries(table)) {
      const joined = joinRules(rules);
      for (const text of texts(3_000)) {
        const lower = text.toLowerCase();
        const expected = rules.some((rule) => matchesRule(rule, text, lower));
        if (expected) matched++;
        expect({ flag, text, match: matchesAny(joined, text, lower) }).toEqual({ flag, text, match: expected });
      }
    }
    // The corpus must exercise the rules, or the comparison proves nothing.
    expect(matched).toBeGreaterThan(100);
  });

  it('should keep case-sensitive rules on the text as written', () => {
    const joined = joinRules(INJECTION_RULES['injection:jailbreak']);
    expect(joined.cased).not.toBeNull();
    expect(matchesAny(joined, 'Okay. Now you are TranslatorBot.', 'okay. now you are translatorbot.')).toBe(true);
    expect(matchesAny(joined, 'okay. now you are translatorbot.', 'okay. now you are translatorbot.')).toBe(false);
  });
});
