import { randomBytes } from 'node:crypto';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { EnvError, parseEnv } from '../../src/config/env.js';
import {
  MIN_SECRET_BITS,
  PLACEHOLDER_SECRETS,
  estimateSecretBits,
  secretProblem,
  shannonBitsPerChar,
} from '../../src/config/secretPolicy.js';

const ROOT = path.resolve(import.meta.dirname, '../..');
const SHIPPED_FILES = ['docker-compose.yml', 'docker-compose.replicas.yml', '.env.example'];
/** Every variable whose value production checks (ours for entropy, all for placeholders). */
const SECRET_VARIABLES = [
  'JWT_SECRETS',
  'API_KEY_PEPPER',
  'ENCRYPTION_KEYS',
  'BACKUP_ENCRYPTION_KEY',
  'METRICS_TOKEN',
  'DATABASE_URL',
  'DATABASE_READ_URL',
  'STRIPE_SECRET_KEY',
  'STRIPE_WEBHOOK_SECRET',
  'OPENAI_API_KEY',
  'BACKUP_S3_SECRET_ACCESS_KEY',
];

const random = (bytes = 32) => randomBytes(bytes).toString('base64');
const goodProduction = () => ({
  NODE_ENV: 'production',
  JWT_SECRETS: `k1:${random()}`,
  API_KEY_PEPPER: random(),
  ENCRYPTION_KEYS: `v1:${random()}`,
});

/** `NAME: value` (YAML) and `NAME=value` / `# NAME=value` (.env) lines of the shipped files. */
function shippedValues(): { file: string; name: string; value: string }[] {
  const out: { file: string; name: string; value: string }[] = [];
  for (const file of SHIPPED_FILES) {
    for (const line of readFileSync(path.join(ROOT, file), 'utf8').split('\n')) {
      const m = /^[\s#]*([A-Z][A-Z0-9_]*)\s*[:=](.*)$/.exec(line);
      const value = m?.[2]?.trim();
      if (!m?.[1] || !value) continue;
      out.push({ file, name: m[1], value: value.replace(/^['"]|['"]$/g, '') });
    }
  }
  return out;
}

describe('shipped placeholders', () => {
  const values = shippedValues().filter((v) => SECRET_VARIABLES.includes(v.name));

  it('should find the shipped secrets (the parser still reads the files)', () => {
    for (const name of ['JWT_SECRETS', 'API_KEY_PEPPER', 'ENCRYPTION_KEYS', 'DATABASE_URL']) {
      expect(values.some((v) => v.file === 'docker-compose.yml' && v.name === name)).toBe(true);
    }
    expect(values.filter((v) => v.file === '.env.example').length).toBeGreaterThanOrEqual(8);
  });

  it('should refuse in production every value a shipped file gives a secret variable', () => {
    for (const { file, name, value } of values) {
      const attempt = () => parseEnv({ ...goodProduction(), [name]: value });
      expect(attempt, `${file}: ${name}=${value}`).toThrow(EnvError);
      expect(attempt, `${file}: ${name}=${value}`).toThrow(`  ${name}`);
    }
  });

  it('should list every CHANGE_ME value of the shipped files, and nothing they do not ship', () => {
    const shipped = shippedValues();
    for (const { file, name, value } of shipped.filter((v) => /CHANGE_ME/.test(v.value))) {
      const listed = PLACEHOLDER_SECRETS.some((p) => value.includes(p));
      expect(listed, `${file}: ${name}=${value} is not in PLACEHOLDER_SECRETS`).toBe(true);
    }
    const text = SHIPPED_FILES.map((f) => readFileSync(path.join(ROOT, f), 'utf8')).join('\n');
    for (const placeholder of PLACEHOLDER_SECRETS) {
      expect(text.includes(placeholder), `${placeholder} is shipped nowhere`).toBe(true);
    }
  });

  it('should refuse a placeholder that would pass the length rule (docker-compose JWT secret and pepper)', () => {
    const env = goodProduction();
    expect(() =>
      parseEnv({ ...env, JWT_SECRETS: `k1:${random()},k2:CHANGE_ME_at_least_32_characters_long_secret` }),
    ).toThrow(/JWT_SECRETS \(k2\): is a placeholder/);
    expect(() => parseEnv({ ...env, API_KEY_PEPPER: 'CHANGE_ME_at_least_32_characters_long_pepper' })).toThrow(
      /API_KEY_PEPPER: is a placeholder/,
    );
  });

  it('should not print the secret in the error', () => {
    const secret = 'a1'.repeat(20);
    try {
      parseEnv({ ...goodProduction(), API_KEY_PEPPER: secret });
      expect.unreachable();
    } catch (err) {
      expect(String(err)).toMatch(/API_KEY_PEPPER/);
      expect(String(err)).not.toContain(secret);
    }
  });
});

describe('secret entropy in production', () => {
  it('should accept 32 random bytes as base64, base64url or hex', () => {
    for (const secret of [random(), randomBytes(32).toString('base64url'), randomBytes(32).toString('hex')]) {
      expect(secretProblem(secret)).toBeNull();
      expect(estimateSecretBits(secret)).toBeGreaterThanOrEqual(MIN_SECRET_BITS);
    }
  });

  it('should refuse secrets under 32 bytes of entropy though 32 characters or longer', () => {
    expect(secretProblem(randomBytes(24).toString('base64'))).toMatch(/bits of entropy/); // 192 bits
    expect(secretProblem(randomBytes(20).toString('hex'))).toMatch(/bits of entropy/); // 40 chars, 160 bits
    expect(secretProblem('my-long-but-human-secret-for-the-jwt')).toMatch(/bits of entropy/);
  });

  it('should refuse long strings of repeated characters', () => {
    expect(secretProblem('s'.repeat(80))).toMatch(/repeated/);
    expect(secretProblem('ab'.repeat(40))).toMatch(/repeated/);
    expect(shannonBitsPerChar('aaaa')).toBe(0);
    expect(shannonBitsPerChar('abab')).toBe(1);
  });

  it('should estimate by the smallest alphabet that holds the characters', () => {
    expect(estimateSecretBits('0123456789')).toBeCloseTo(10 * Math.log2(10));
    expect(estimateSecretBits('deadbeef')).toBe(32);
    expect(estimateSecretBits('AAAA==')).toBe(16); // hex letters
    expect(estimateSecretBits('ab+/==')).toBe(24);
    // only the trailing padding is dropped, however many '=' come before it
    expect(estimateSecretBits('ab+/=c==')).toBe(estimateSecretBits('ab+/=c'));
    expect(estimateSecretBits('a b')).toBeCloseTo(3 * Math.log2(95));
  });

  it('should refuse a weak JWT secret, pepper, encryption key or metrics token in production, naming each', () => {
    const env = goodProduction();
    expect(() => parseEnv({ ...env, JWT_SECRETS: `k1:${'s'.repeat(40)}` })).toThrow(/JWT_SECRETS \(k1\)/);
    expect(() => parseEnv({ ...env, API_KEY_PEPPER: randomBytes(16).toString('hex') })).toThrow(/API_KEY_PEPPER/);
    expect(() => parseEnv({ ...env, ENCRYPTION_KEYS: `v1:${Buffer.alloc(32, 7).toString('base64')}` })).toThrow(
      /ENCRYPTION_KEYS \(v1\)/,
    );
    expect(() => parseEnv({ ...env, METRICS_TOKEN: 'metrics-token-0001' })).toThrow(/METRICS_TOKEN/);
  });

  it('should leave development and test alone', () => {
    expect(() => parseEnv({ NODE_ENV: 'development', JWT_SECRETS: `k1:${'s'.repeat(40)}` })).not.toThrow();
    expect(() =>
      parseEnv({ NODE_ENV: 'test', API_KEY_PEPPER: 'CHANGE_ME_at_least_32_characters_long_pepper' }),
    ).not.toThrow();
  });

  it('should start production with random secrets and a real Stripe key', () => {
    const env = parseEnv({ ...goodProduction(), STRIPE_SECRET_KEY: `sk_live_${randomBytes(24).toString('hex')}` });
    expect(env.NODE_ENV).toBe('production');
  });
});
