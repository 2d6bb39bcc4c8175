/**
 * A role change or a disabled account takes effect on the very next request of a token that
 * was issued before it: the role and the account state come from the database with the
 * session check, never from the access token's claims.
 */
import { decodeJwt } from 'jose';
import request from 'supertest';
import { describe, expect, it } from 'vitest';
import { signAccessToken } from '../../src/utils/jwt.js';
import { bearer, createAdmin, registerUser } from '../helpers/factories.js';
import { useTestApp } from '../helpers/testApp.js';

const ctx = useTestApp();

const adminUsers = (token: string) => request(ctx.app).get('/api/v1/admin/users').set(bearer(token));
const profile = (token: string) => request(ctx.app).get('/api/v1/settings/profile').set(bearer(token));

describe('role changes', () => {
  it('should answer 403 to a demoted admin on the next request with the same access token', async () => {
    const [boss, demoted] = [await createAdmin(ctx.app, ctx.prisma), await createAdmin(ctx.app, ctx.prisma)];
    expect((await adminUsers(demoted.accessToken)).status).toBe(200);

    const change = await request(ctx.app)
      .post(`/api/v1/admin/users/${demoted.id}/role`)
      .set(bearer(boss.accessToken))
      .send({ role: 'user' });
    expect(change.status).toBe(200);

    const res = await adminUsers(demoted.accessToken);
    expect(res.status).toBe(403);
    expect(res.body.error.code).toBe('FORBIDDEN');
    // still a valid session for what a user may do
    expect((await profile(demoted.accessToken)).status).toBe(200);
  });

  it('should answer 403 after a demotion made in the database, without any API call', async () => {
    const admin = await createAdmin(ctx.app, ctx.prisma);
    expect((await adminUsers(admin.accessToken)).status).toBe(200);
    await ctx.prisma.user.update({ where: { id: admin.id }, data: { role: 'user' } });
    expect((await adminUsers(admin.accessToken)).status).toBe(403);
  });

  it('should give a promoted user admin access with the token issued before the promotion', async () => {
    const [boss, user] = [await createAdmin(ctx.app, ctx.prisma), await registerUser(ctx.app)];
    expect((await adminUsers(user.accessToken)).status).toBe(403);
    await request(ctx.app)
      .post(`/api/v1/admin/users/${user.id}/role`)
      .set(bearer(boss.accessToken))
      .send({ role: 'admin' })
      .expect(200);
    expect((await adminUsers(user.accessToken)).status).toBe(200);
  });
});

describe('disabled accounts', () => {
  it('should refuse the access token of a disabled account on the next request, then its refresh and login', async () => {
    const [admin, user] = [await createAdmin(ctx.app, ctx.prisma), await registerUser(ctx.app)];
    expect((await profile(user.accessToken)).status).toBe(200);

    const res = await request(ctx.app).post(`/api/v1/admin/users/${user.id}/disable`).set(bearer(admin.accessToken));
    expect(res.status).toBe(200);
    expect(res.body.user).toMatchObject({ id: user.id, disabledAt: expect.any(String) });

    const next = await profile(user.accessToken);
    expect(next.status).toBe(401);
    expect(next.body.error.code).toBe('UNAUTHORIZED');
    const refresh = await request(ctx.app).post('/api/v1/auth/refresh-token').send({ refreshToken: user.refreshToken });
    expect(refresh.status).toBe(401);
    const login = await request(ctx.app)
      .post('/api/v1/auth/login')
      .send({ email: user.email, password: user.password });
    expect(login.status).toBe(403);
    expect(login.body.error.code).toBe('FORBIDDEN');
    expect(login.body).not.toHaveProperty('accessToken');
    const audit = await ctx.prisma.auditLog.findFirst({ where: { action: 'user.disable', targetId: user.id } });
    expect(audit?.actorId).toBe(admin.id);
  });

  it('should refuse a disabled account even when its sessions were not revoked (database change)', async () => {
    const user = await registerUser(ctx.app);
    await ctx.prisma.user.update({ where: { id: user.id }, data: { disabledAt: new Date() } });
    expect((await profile(user.accessToken)).status).toBe(401);
  });

  it('should let a re-enabled account log in again', async () => {
    const [admin, user] = [await createAdmin(ctx.app, ctx.prisma), await registerUser(ctx.app)];
    await request(ctx.app).post(`/api/v1/admin/users/${user.id}/disable`).set(bearer(admin.accessToken)).expect(200);
    const enabled = await request(ctx.app).post(`/api/v1/admin/users/${user.id}/enable`).set(bearer(admin.accessToken));
    expect(enabled.status).toBe(200);
    expect(enabled.body.user.disabledAt).toBeNull();
    const login = await request(ctx.app)
      .post('/api/v1/auth/login')
      .send({ email: user.email, password: user.password });
    expect(login.status).toBe(200);
    expect((await profile(login.body.accessToken)).status).toBe(200);
  });

  it('should return 409 when an admin disables their own account', async () => {
    const admin = await createAdmin(ctx.app, ctx.prisma);
    const res = await request(ctx.app).post(`/api/v1/admin/users/${admin.id}/disable`).set(bearer(admin.accessToken));
    expect(res.status).toBe(409);
    expect(res.body.error.code).toBe('CONFLICT');
  });

  it('should return 403 to a user who tries to disable someone', async () => {
    const [user, other] = [await registerUser(ctx.app), await registerUser(ctx.app)];
    const res = await request(ctx.app).post(`/api/v1/admin/users/${other.id}/disable`).set(bearer(user.accessToken));
    expect(res.status).toBe(403);
  });
});

describe('token subject', () => {
  it("should refuse a validly signed token whose sub is not its session's user", async () => {
    const [victim, attacker] = [await registerUser(ctx.app), await registerUser(ctx.app)];
    const { fid } = decodeJwt(attacker.accessToken) as { fid: string };
    const forged = await signAccessToken({ sub: victim.id, role: 'user', fid });
    const res = await profile(forged);
    expect(res.status).toBe(401);
    expect(res.body.error.code).toBe('UNAUTHORIZED');
    expect((await profile(attacker.accessToken)).status).toBe(200);
  });
});
