import { describe, expect, it } from 'vitest';
import { seededRandom } from '../../src/utils/random.js';
import { endsWithTld, detectPii, PII_CANDIDATE_LIMIT, scanPii, type PiiType } from '../../src/domain/risk/pii.js';
import { PII_PLACEHOLDERS, redactMatches, redactPii } from '../../src/domain/risk/piiRedaction.js';
import { isPhoneShaped, PHONE_CANDIDATE, phoneShape } from '../../src/domain/risk/piiPatterns.js';

const typesIn = (text: string): PiiType[] => detectPii(text).map((m) => m.type);

// Secret-shaped fixtures are assembled at run time so no scanner mistakes this file for a leak.
const RANDOM_BODY = 'Ab3dEf6hIj9kLmN0pQr2StU4vWx6Yz8A';
const SECRETS: Record<string, string> = {
  openai: `sk-proj-${RANDOM_BODY}`,
  openaiLegacy: `sk-${RANDOM_BODY}${RANDOM_BODY}`,
  anthropic: `sk-ant-api03-${RANDOM_BODY}`,
  aws: `AKIA${'IOSFODNN7EXAMPLE'}`,
  github: `ghp_${RANDOM_BODY}1234`,
  githubFineGrained: `github_pat_11${RANDOM_BODY}_${RANDOM_BODY}`,
  slack: `xoxb-123456789012-1234567890123-${RANDOM_BODY}`,
  stripe: `sk_live_${RANDOM_BODY}`,
  stripeRestricted: `rk_live_${RANDOM_BODY}`,
  google: `AIza${RANDOM_BODY}abc`,
  llmguard: `lgk_${RANDOM_BODY}`,
};
const JWT = [
  'eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9',
  'eyJzdWIiOiIxMjM0NTY3ODkwIiwibmFtZSI6IkpvaG4gRG9lIn0',
  'SflKxwRJSMeKKF2QT4fwpMeJf36POk6yJV_adQssw5c',
].join('.');
const PEM = [
  '-----BEGIN RSA PRIVATE KEY-----',
  'MIIEpAIBAAKCAQEA1x2y3z',
  'abcd==',
  '-----END RSA PRIVATE KEY-----',
].join('\n');

describe('detectPii', () => {
  it('should report type, offsets and value of an email', () => {
    const text = 'Write to jane.doe+billing@example.co.uk today';
    expect(detectPii(text)).toEqual([{ type: 'email', start: 9, end: 39, value: 'jane.doe+billing@example.co.uk' }]);
    expect(text.slice(9, 39)).toBe('jane.doe+billing@example.co.uk');
  });

  it('should not flag handles, hostnames without a TLD or a lone @', () => {
    expect(detectPii('ping @ops, user@localhost, foo@bar and name@ example.com')).toEqual([]);
  });

  it('should flag international, US and European national phone numbers', () => {
    const text =
      'Call +1 (415) 555-2671, 415-555-2671, +49 30 12345678, 030 12345678, 0171 1234567 or +44 20 7946 0958.';
    expect(detectPii(text).map((m) => m.value)).toEqual([
      '+1 (415) 555-2671',
      '415-555-2671',
      '+49 30 12345678',
      '030 12345678',
      '0171 1234567',
      '+44 20 7946 0958',
    ]);
  });

  it('should flag Luhn-valid card numbers with or without separators', () => {
    const text = 'Visa 4111 1111 1111 1111, MC 5555-5555-5555-4444, Amex 378282246310005.';
    expect(detectPii(text).map((m) => [m.type, m.value])).toEqual([
      ['credit_card', '4111 1111 1111 1111'],
      ['credit_card', '5555-5555-5555-4444'],
      ['credit_card', '378282246310005'],
    ]);
  });

  it('should not flag a card number that fails the Luhn check', () => {
    expect(typesIn('Card 4111 1111 1111 1112 expires 12/27')).toEqual([]);
  });

  it('should flag an IBAN whose mod-97 checksum is valid, grouped or compact', () => {
    const text = 'Pay to DE89 3704 0044 0532 0130 00 AND GB82WEST12345698765432.';
    expect(detectPii(text).map((m) => [m.type, m.value])).toEqual([
      ['iban', 'DE89 3704 0044 0532 0130 00'],
      ['iban', 'GB82WEST12345698765432'],
    ]);
  });

  it('should not flag an IBAN with a wrong checksum', () => {
    expect(typesIn('Pay to DE89 3704 0044 0532 0130 01')).toEqual([]);
  });

  it('should flag a US SSN but not the reserved 000 and 666 areas', () => {
    expect(detectPii('SSN 123-45-6789, 000-12-3456, 666-12-3456').map((m) => m.value)).toEqual(['123-45-6789']);
  });

  it.each(Object.entries(SECRETS))('should flag a %s key as api_key', (_name, key) => {
    expect(detectPii(`key=${key} end`)).toEqual([{ type: 'api_key', start: 4, end: 4 + key.length, value: key }]);
  });

  it('should not flag a lowercase slug that merely starts with sk-', () => {
    expect(typesIn('see sk-learn-tutorial-for-beginners-2024 and sk-ant-short')).toEqual([]);
  });

  it('should flag a JWT and a PEM private key block', () => {
    expect(typesIn(`token ${JWT} and\n${PEM}\n`)).toEqual(['jwt', 'private_key']);
  });

  it('should flag a truncated PEM private key up to the end of its base64 body', () => {
    const [match] = detectPii('-----BEGIN PRIVATE KEY-----\nMIIEvQIBADANBgkq\nAbCd\n\nthanks');
    expect(match?.type).toBe('private_key');
    expect(match?.value.endsWith('AbCd')).toBe(true);
  });

  it.each([
    'Order #4532-1188 was shipped on 2024-03-15 for $1,299.00 to the Berlin office.',
    'Invoice INV-2024-00042: total EUR 4.560,00, due 15.04.2024, contract version 2.3.1.',
    'Q3 revenue grew 12.5% to 3,450,000 USD; see ticket JIRA-12345 and build 20240315.1.',
    'Dial-in code 123 456 789, room 1204, extension 331, meeting on 03/15/2024 at 10.30.',
    'SKU 4006381333931 is in stock; versions 10.15.7 and 1.2.3-beta are supported.',
    'Die Lieferung 2024/117 über 1.250,00 EUR erfolgt am 12.05.2024 ab 08:30 Uhr.',
  ])('should find nothing in business text: %s', (text) => {
    expect(detectPii(text)).toEqual([]);
  });

  it('should scan a 1 MB string in well under a second', () => {
    const text = 'Order 12345 shipped 2024-03-15 for $1,299.00, v1.2.3, ref 4 4 4 4 4, a@b. '.repeat(14_000);
    const started = performance.now();
    detectPii(text);
    expect(performance.now() - started).toBeLessThan(1500);
  });
});

describe('redactPii', () => {
  it('should replace each value with its typed placeholder and list the types', () => {
    const text = `Mail a.b@example.com, call +1 415 555 2671, card 4242 4242 4242 4242, IBAN DE89370400440532013000, SSN 123-45-6789, key ${SECRETS.openai ?? ''}`;
    expect(redactPii(text)).toEqual({
      text: 'Mail [EMAIL], call [PHONE], card [CREDIT_CARD], IBAN [IBAN], SSN [SSN], key [SECRET]',
      types: ['email', 'phone', 'credit_card', 'iban', 'ssn', 'api_key'],
    });
  });

  it('should use [SECRET] for JWTs and private keys', () => {
    expect(redactPii(`a ${JWT} b\n${PEM}`).text).toBe('a [SECRET] b\n[SECRET]');
  });

  it('should return the text unchanged when nothing is found', () => {
    expect(redactPii('Nothing to see here, order 123.')).toEqual({
      text: 'Nothing to see here, order 123.',
      types: [],
    });
  });

  it('should replace exactly the scanned matches, on random texts of one-byte and wide characters', () => {
    // The reference: a slice before each match, then its placeholder, appended one by one.
    // Texts mix PII of every kind with Latin-1, CJK, astral and lone surrogates.
    const units = [
      'a.b@example.com',
      '+1 415 555 2671',
      '4242 4242 4242 4242',
      'DE89370400440532013000',
      '123-45-6789',
      SECRETS.openai!,
      JWT,
      ' ',
      ', ',
      'word',
      'é',
      'ß',
      '中文',
      '😀',
      '\ud800',
      '\udc00',
      'x'.repeat(40),
    ];
    const rnd = seededRandom(29);
    let wide = 0;
    let redacted = 0;
    for (let n = 0; n < 2_000; n++) {
      let text = '';
      for (let k = Math.floor(rnd() * 14); k >= 0; k--) text += units[Math.floor(rnd() * units.length)]!;
      const matches = scanPii(text).matches;
      let expected = '';
      let cursor = 0;
      for (const m of matches) {
        expected += text.slice(cursor, m.start) + PII_PLACEHOLDERS[m.type];
        cursor = m.end;
      }
      expected += text.slice(cursor);
      const types = [...new Set(matches.map((m) => m.type))];
      expect(redactMatches(text, matches), JSON.stringify(text)).toEqual({ text: expected, types });
      if ([...text].some((c) => c.charCodeAt(0) > 0xff)) wide++;
      if (matches.length > 0) redacted++;
    }
    // one-byte and wide texts, with and without matches, are all exercised
    expect(wide).toBeGreaterThan(500);
    expect(2_000 - wide).toBeGreaterThan(300);
    expect(redacted).toBeGreaterThan(800);
  });
});

describe('scanPii: the validator budget', () => {
  it('should check at most PII_CANDIDATE_LIMIT phone candidates of a crafted text and mark phone saturated', () => {
    const scan = scanPii('+123456789 '.repeat(3 * PII_CANDIDATE_LIMIT));
    expect(scan.checked.phone).toBe(PII_CANDIDATE_LIMIT);
    expect(scan.saturated).toEqual(['phone']);
  });

  it('should cap email, card and IBAN checks the same way', () => {
    const text = ['a@b.co ', '4111111111111111 ', 'DE89370400440532013000 ']
      .map((unit) => unit.repeat(2 * PII_CANDIDATE_LIMIT))
      .join('');
    const scan = scanPii(text);
    expect(scan.checked).toEqual({
      email: PII_CANDIDATE_LIMIT,
      phone: 0,
      credit_card: PII_CANDIDATE_LIMIT,
      iban: PII_CANDIDATE_LIMIT,
    });
    expect([...scan.saturated].sort()).toEqual(['credit_card', 'email', 'iban']);
  });

  it('should still report and redact every candidate past the budget, by shape', () => {
    const text = 'Call +1 415 555 2671, +49 30 12345678, +44 20 7946 0958 or +123456789 now.';
    const scan = scanPii(text, 1);
    expect(scan.matches.map((m) => [m.value, m.unverified === true])).toEqual([
      ['+1 415 555 2671', false],
      ['+49 30 12345678', true],
      ['+44 20 7946 0958', true],
      ['+123456789', true],
    ]);
    expect(redactMatches(text, scan.matches).text).toBe('Call [PHONE], [PHONE], [PHONE] or [PHONE] now.');
  });

  it('should leave a text under the budget exactly as detectPii finds it, nothing saturated', () => {
    const text = 'Mail a.b@example.com, call +1 415 555 2671, card 4242 4242 4242 4242.';
    const scan = scanPii(text);
    expect(scan.saturated).toEqual([]);
    expect(scan.matches.some((m) => m.unverified)).toBe(false);
    expect(redactMatches(text, scan.matches)).toEqual(redactPii(text));
  });
});

describe('endsWithTld (the email candidate check, a character loop)', () => {
  it('should agree with the regex it replaces on the candidate, on random texts', () => {
    const rnd = seededRandom(11);
    const units = ['a', 'Z', 'q', '.', '-', '@', '1', '_', 'é', ' ', 'co', '.de', '.x'];
    let matched = 0;
    for (let n = 0; n < 5_000; n++) {
      let text = '';
      for (let k = Math.floor(rnd() * 12); k >= 0; k--) text += units[Math.floor(rnd() * units.length)]!;
      const start = Math.floor(rnd() * (text.length + 1));
      const end = start + Math.floor(rnd() * (text.length - start + 1));
      const expected = /\.[A-Za-z]{2,}$/.test(text.slice(start, end));
      expect(endsWithTld(text, start, end), JSON.stringify([text, start, end])).toBe(expected);
      if (expected) matched++;
    }
    expect(matched).toBeGreaterThan(150); // both answers are exercised
  });
});

describe('isPhoneShaped (the phone candidate check, a character loop)', () => {
  it('should agree with phoneShape on every candidate of random digit-rich texts', () => {
    const rnd = seededRandom(41);
    const units = [
      '1',
      '0',
      '00',
      '4',
      '555',
      '0134',
      '12',
      '2026',
      '+',
      '+1',
      '+49',
      ' ',
      '-',
      '.',
      '/',
      '(0)',
      '(415) ',
      '415 555-',
      '1 ',
      'x',
    ];
    const seen = { shaped: 0, not: 0, international: 0, us: 0, european: 0, dated: 0 };
    let candidates = 0;
    for (let n = 0; n < 6_000; n++) {
      let text = '';
      for (let k = 2 + Math.floor(rnd() * 12); k >= 0; k--) text += units[Math.floor(rnd() * units.length)]!;
      for (const [candidate] of text.matchAll(PHONE_CANDIDATE)) {
        candidates++;
        const shape = phoneShape(candidate);
        expect(isPhoneShaped(candidate), JSON.stringify(candidate)).toBe(shape !== null);
        if (shape === null) {
          seen.not++;
          if (/^\d{4}[-/. ]\d{1,2}[-/. ]\d{1,2}$/.test(candidate)) seen.dated++;
          continue;
        }
        seen.shaped++;
        if (shape.countries[0] === undefined) seen.international++;
        else if (shape.countries[0] === 'US') seen.us++;
        else seen.european++;
      }
    }
    // every branch of the check is exercised, each way
    expect(candidates).toBeGreaterThan(6_000);
    expect(seen.international).toBeGreaterThan(100);
    expect(seen.us).toBeGreaterThan(20);
    expect(seen.european).toBeGreaterThan(100);
    expect(seen.not).toBeGreaterThan(1_000);
    expect(seen.dated).toBeGreaterThan(0);
  });

  it.each([
    ['+1 415 555 0134', true],
    ['+1234567', false], // 7 digits after '+'
    ['0049 30 1234567', true],
    ['(415) 555-0134', true],
    ['1 415 555 0134', true],
    ['030 1234567', true],
    ['030.1234.567', false], // a '.' rules out the national format
    ['2026-12-31', false],
    ['0012-12-31', false], // '00' and eight digits, but a date
    ['12 415 555 0134', false], // 2-3-3-4 is not the US grouping
    ['12345678', false],
    ['0301234567', false], // no separator
    ['+1234567890123456', false], // 16 digits
  ])('should answer %j with %s', (candidate, expected) => {
    expect(isPhoneShaped(candidate)).toBe(expected);
    expect(phoneShape(candidate) !== null).toBe(expected);
  });
});
