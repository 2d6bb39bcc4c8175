import { generateSync } from 'otplib';
import request from 'supertest';
import { describe, expect, it } from 'vitest';
import { decryptSecret } from '../../src/utils/crypto.js';
import { STRONG_PASSWORD, bearer, registerUser } from '../helpers/factories.js';
import { useTestApp } from '../helpers/testApp.js';

const ctx = useTestApp();
const totp = (secret: string) => generateSync({ secret });

async function userWithMfa() {
  const user = await registerUser(ctx.app);
  const setup = await request(ctx.app).post('/api/v1/auth/mfa/setup').set(bearer(user.accessToken));
  expect(setup.status).toBe(200);
  const enable = await request(ctx.app)
    .post('/api/v1/auth/mfa/enable')
    .set(bearer(user.accessToken))
    .send({ code: totp(setup.body.secret) });
  expect(enable.status).toBe(200);
  return { user, secret: setup.body.secret as string, recoveryCodes: enable.body.recoveryCodes as string[] };
}

describe('MFA', () => {
  it('should return a secret and an otpauth URL on setup, and store the secret encrypted', async () => {
    const user = await registerUser(ctx.app);
    const res = await request(ctx.app).post('/api/v1/auth/mfa/setup').set(bearer(user.accessToken));
    expect(res.status).toBe(200);
    expect(res.body.otpauthUrl).toMatch(/^otpauth:\/\/totp\/.+secret=/);
    const row = await ctx.prisma.user.findUniqueOrThrow({ where: { id: user.id } });
    expect(row.mfaSecretEnc).not.toContain(res.body.secret);
    expect(decryptSecret(row.mfaSecretEnc!)).toBe(res.body.secret);
  });

  it('should refuse to enable with a wrong code', async () => {
    const user = await registerUser(ctx.app);
    await request(ctx.app).post('/api/v1/auth/mfa/setup').set(bearer(user.accessToken));
    const res = await request(ctx.app)
      .post('/api/v1/auth/mfa/enable')
      .set(bearer(user.accessToken))
      .send({ code: '000000' });
    expect(res.status).toBe(401);
    expect((await ctx.prisma.user.findUniqueOrThrow({ where: { id: user.id } })).mfaEnabled).toBe(false);
  });

  it('should require the code at login once enabled: 401 MFA_REQUIRED, then 200 with the code', async () => {
    const { user, secret, recoveryCodes } = await userWithMfa();
    expect(recoveryCodes).toHaveLength(10);
    const without = await request(ctx.app)
      .post('/api/v1/auth/login')
      .send({ email: user.email, password: STRONG_PASSWORD });
    expect(without.status).toBe(401);
    expect(without.body.error.code).toBe('MFA_REQUIRED');
    const wrong = await request(ctx.app)
      .post('/api/v1/auth/login')
      .send({ email: user.email, password: STRONG_PASSWORD, mfaCode: '123456' });
    expect(wrong.status).toBe(401);
    expect(wrong.body.error.code).toBe('UNAUTHORIZED');
    const ok = await request(ctx.app)
      .post('/api/v1/auth/login')
      .send({ email: user.email, password: STRONG_PASSWORD, mfaCode: totp(secret) });
    expect(ok.status).toBe(200);
  });

  it('should accept a recovery code exactly once', async () => {
    const { user, recoveryCodes } = await userWithMfa();
    const code = recoveryCodes[0]!;
    const first = await request(ctx.app)
      .post('/api/v1/auth/login')
      .send({ email: user.email, password: STRONG_PASSWORD, mfaCode: code });
    expect(first.status).toBe(200);
    const again = await request(ctx.app)
      .post('/api/v1/auth/login')
      .send({ email: user.email, password: STRONG_PASSWORD, mfaCode: code });
    expect(again.status).toBe(401);
    expect(await ctx.prisma.auditLog.count({ where: { action: 'mfa.recovery_code_used', actorId: user.id } })).toBe(1);
  });

  it('should store recovery codes hashed', async () => {
    const { user, recoveryCodes } = await userWithMfa();
    const rows = await ctx.prisma.mfaRecoveryCode.findMany({ where: { userId: user.id } });
    expect(rows).toHaveLength(10);
    for (const row of rows) expect(recoveryCodes).not.toContain(row.codeHash);
  });

  it('should disable with a valid code, after which login needs no code', async () => {
    const { user, secret } = await userWithMfa();
    const res = await request(ctx.app)
      .post('/api/v1/auth/mfa/disable')
      .set(bearer(user.accessToken))
      .send({ code: totp(secret) });
    expect(res.status).toBe(204);
    const login = await request(ctx.app)
      .post('/api/v1/auth/login')
      .send({ email: user.email, password: STRONG_PASSWORD });
    expect(login.status).toBe(200);
    const actions = await ctx.prisma.auditLog.findMany({ where: { actorId: user.id, action: { startsWith: 'mfa.' } } });
    expect(actions.map((a) => a.action).sort()).toEqual(['mfa.disable', 'mfa.enable']);
  });

  it('should return 401 for MFA routes without a token', async () => {
    const res = await request(ctx.app).post('/api/v1/auth/mfa/setup');
    expect(res.status).toBe(401);
  });
});
