import { randomBytes } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { EnvError, parseEnv } from '../../src/config/env.js';

describe('parseEnv', () => {
  it('should apply defaults when nothing is set', () => {
    const env = parseEnv({});
    expect(env.PORT).toBe(3000);
    expect(env.DATA_DIR).toBe('.data');
    expect(env.DATABASE_URL).toBeUndefined();
    expect(env.NODE_ENV).toBe('development');
  });

  it('should name the variable when PORT is not a port number', () => {
    expect(() => parseEnv({ PORT: 'eighty' })).toThrow(EnvError);
    expect(() => parseEnv({ PORT: '70000' })).toThrow(/PORT/);
  });

  it('should reject a DATABASE_URL that is not a postgres URL', () => {
    expect(() => parseEnv({ DATABASE_URL: 'mysql://localhost/x' })).toThrow(/DATABASE_URL/);
  });

  it('should reject an encryption key that is not 32 bytes', () => {
    expect(() => parseEnv({ ENCRYPTION_KEYS: 'v1:c2hvcnQ=' })).toThrow(/ENCRYPTION_KEYS/);
  });

  it('should parse CORS_ORIGINS as a list', () => {
    expect(parseEnv({ CORS_ORIGINS: 'https://a.example, https://b.example' }).CORS_ORIGINS).toEqual([
      'https://a.example',
      'https://b.example',
    ]);
  });

  it('should refuse to start production with the development secrets', () => {
    expect(() => parseEnv({ NODE_ENV: 'production' })).toThrow(
      /JWT_SECRETS[\s\S]*API_KEY_PEPPER[\s\S]*ENCRYPTION_KEYS/,
    );
  });

  it('should accept production with real (random) secrets', () => {
    const secret = randomBytes(32).toString('base64');
    const env = parseEnv({
      NODE_ENV: 'production',
      JWT_SECRETS: `k2:${secret}`,
      API_KEY_PEPPER: randomBytes(32).toString('hex'),
      ENCRYPTION_KEYS: `v2:${randomBytes(32).toString('base64')}`,
    });
    expect(env.JWT_SECRETS).toEqual([{ kid: 'k2', secret }]);
    expect(env.ENCRYPTION_KEYS[0]?.version).toBe('v2');
  });

  it('should reject a JWT secret shorter than 32 characters', () => {
    expect(() => parseEnv({ JWT_SECRETS: 'k1:short' })).toThrow(/JWT_SECRETS/);
  });
});

describe('*_FILE variables (Docker and Kubernetes secrets)', () => {
  it('should read a secret from the named file, drop one trailing newline, and let the variable itself win', async () => {
    const { mkdtempSync, writeFileSync } = await import('node:fs');
    const os = await import('node:os');
    const path = await import('node:path');
    const dir = mkdtempSync(path.join(os.tmpdir(), 'llmguard-env-'));
    const pepper = path.join(dir, 'pepper');
    writeFileSync(pepper, 'p'.repeat(40) + '\n');
    const keys = path.join(dir, 'keys');
    writeFileSync(keys, `v1:${Buffer.alloc(32, 1).toString('base64')},v2:${Buffer.alloc(32, 2).toString('base64')}\n`);
    const env = parseEnv({ API_KEY_PEPPER_FILE: pepper, ENCRYPTION_KEYS_FILE: keys });
    expect(env.API_KEY_PEPPER).toBe('p'.repeat(40));
    expect(env.ENCRYPTION_KEYS.map((k) => k.version)).toEqual(['v1', 'v2']);
    expect(parseEnv({ API_KEY_PEPPER: 'q'.repeat(40), API_KEY_PEPPER_FILE: pepper }).API_KEY_PEPPER).toBe(
      'q'.repeat(40),
    );
  });

  it('should name the variable, not the content, when the file cannot be read', () => {
    expect(() => parseEnv({ STRIPE_SECRET_KEY_FILE: '/nonexistent/secret' })).toThrow(
      /STRIPE_SECRET_KEY_FILE: cannot read/,
    );
  });
});
