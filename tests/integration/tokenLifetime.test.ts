/**
 * Access tokens crafted with the server's own signing secret (as someone holding a leaked or
 * shipped secret would) are refused unless they match what the server issues: `sub` is the
 * session's user and `exp` is within the configured lifetime.
 */
import { SignJWT, decodeJwt } from 'jose';
import request from 'supertest';
import { describe, expect, it } from 'vitest';
import { env } from '../../src/config/env.js';
import { bearer, registerUser } from '../helpers/factories.js';
import { useTestApp } from '../helpers/testApp.js';

const ctx = useTestApp();
const key = env.JWT_SECRETS[env.JWT_SECRETS.length - 1]!;
const TTL = env.ACCESS_TOKEN_TTL_SECONDS;

/** A token signed with the test secret; times in seconds relative to now. */
function craft(claims: { sub: string; fid: string; role?: string }, times: { iat: number; exp: number }) {
  const now = Math.floor(Date.now() / 1000);
  return new SignJWT({ role: claims.role ?? 'user', fid: claims.fid })
    .setProtectedHeader({ alg: 'HS256', kid: key.kid, typ: 'JWT' })
    .setSubject(claims.sub)
    .setIssuer(env.JWT_ISSUER)
    .setAudience(env.JWT_AUDIENCE)
    .setIssuedAt(now + times.iat)
    .setExpirationTime(now + times.exp)
    .sign(new TextEncoder().encode(key.secret));
}

const profile = (token: string) => request(ctx.app).get('/api/v1/settings/profile').set(bearer(token));

describe('crafted access tokens', () => {
  it('should accept a crafted token shaped like the ones the server issues (control)', async () => {
    const user = await registerUser(ctx.app);
    const { fid } = decodeJwt(user.accessToken) as { fid: string };
    expect((await profile(await craft({ sub: user.id, fid }, { iat: 0, exp: TTL }))).status).toBe(200);
  });

  it('should refuse a token whose exp is far beyond the configured lifetime', async () => {
    const user = await registerUser(ctx.app);
    const { fid } = decodeJwt(user.accessToken) as { fid: string };
    const tenYears = 10 * 365 * 86_400;
    const res = await profile(await craft({ sub: user.id, fid }, { iat: 0, exp: tenYears }));
    expect(res.status).toBe(401);
    expect(res.body.error.code).toBe('UNAUTHORIZED');
  });

  it('should refuse a token issued in the future to stretch its lifetime', async () => {
    const user = await registerUser(ctx.app);
    const { fid } = decodeJwt(user.accessToken) as { fid: string };
    const res = await profile(await craft({ sub: user.id, fid }, { iat: 3 * TTL, exp: 4 * TTL }));
    expect(res.status).toBe(401);
  });

  it("should refuse a token whose sub is another user than its session's", async () => {
    const [victim, attacker] = [await registerUser(ctx.app), await registerUser(ctx.app)];
    const { fid } = decodeJwt(attacker.accessToken) as { fid: string };
    const res = await profile(await craft({ sub: victim.id, fid }, { iat: 0, exp: TTL }));
    expect(res.status).toBe(401);
    expect(res.body.error.code).toBe('UNAUTHORIZED');
  });

  it('should give no admin access to a crafted role=admin claim', async () => {
    const user = await registerUser(ctx.app);
    const { fid } = decodeJwt(user.accessToken) as { fid: string };
    const token = await craft({ sub: user.id, fid, role: 'admin' }, { iat: 0, exp: TTL });
    const res = await request(ctx.app).get('/api/v1/admin/users').set(bearer(token));
    expect(res.status).toBe(403);
  });
});
