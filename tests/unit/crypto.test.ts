import { randomBytes } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { decryptSecret, encryptSecret, keyVersionOf, safeEqual } from '../../src/utils/crypto.js';

const v1 = { version: 'v1', key: randomBytes(32) };
const v2 = { version: 'v2', key: randomBytes(32) };

describe('secrets at rest', () => {
  it('should round-trip and never contain the plaintext', () => {
    const ct = encryptSecret('JBSWY3DPEHPK3PXP', [v1]);
    expect(ct.startsWith('v1:')).toBe(true);
    expect(ct).not.toContain('JBSWY3DPEHPK3PXP');
    expect(decryptSecret(ct, [v1])).toBe('JBSWY3DPEHPK3PXP');
  });

  it('should encrypt with the newest key and still decrypt rows of the older one', () => {
    const old = encryptSecret('secret-a', [v1]);
    const ring = [v1, v2];
    const fresh = encryptSecret('secret-b', ring);
    expect(keyVersionOf(fresh)).toBe('v2');
    expect(decryptSecret(old, ring)).toBe('secret-a');
    expect(decryptSecret(fresh, ring)).toBe('secret-b');
  });

  it('should refuse a tampered ciphertext', () => {
    const ct = encryptSecret('secret', [v1]);
    const body = Buffer.from(ct.slice(3), 'base64url');
    body[body.length - 1]! ^= 1;
    expect(() => decryptSecret(`v1:${body.toString('base64url')}`, [v1])).toThrow();
  });

  it('should refuse an unknown key version', () => {
    expect(() => decryptSecret(encryptSecret('x', [v2]), [v1])).toThrow(/v2/);
  });

  it('should compare strings in constant time', () => {
    expect(safeEqual('abc', 'abc')).toBe(true);
    expect(safeEqual('abc', 'abd')).toBe(false);
    expect(safeEqual('abc', 'abcd')).toBe(false);
  });
});
