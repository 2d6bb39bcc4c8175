import { describe, expect, it } from 'vitest';
import { hashPassword, passwordProblems, verifyPassword } from '../../src/utils/password.js';

describe('passwords', () => {
  it('should verify the right password against its bcrypt hash and refuse a wrong one', async () => {
    const hash = await hashPassword('Violet-Harbor-Lantern-42');
    expect(hash).toMatch(/^\$2[aby]\$/);
    expect(hash).not.toContain('Violet');
    expect(await verifyPassword('Violet-Harbor-Lantern-42', hash)).toBe(true);
    expect(await verifyPassword('Violet-Harbor-Lantern-43', hash)).toBe(false);
  });

  it('should salt: the same password hashes differently', async () => {
    expect(await hashPassword('Violet-Harbor-Lantern-42')).not.toBe(await hashPassword('Violet-Harbor-Lantern-42'));
  });

  it('should accept a long password with letters and digits', () => {
    expect(passwordProblems('Violet-Harbor-Lantern-42')).toEqual([]);
  });

  it.each([
    ['Ab1', /at least 10/],
    ['abcdefghijkl', /letters and digits/],
    ['123456789012', /letters and digits/],
    ['password1234', /common|guess/],
    ['qwerty123456', /common|guess/],
  ])('should reject %s', (password, reason) => {
    expect(passwordProblems(password).join(' ')).toMatch(reason);
  });

  it('should reject a password made of the user own email', () => {
    expect(passwordProblems('jane.doe2024', ['jane.doe2024@example.com']).length).toBeGreaterThan(0);
  });
});
