import request from 'supertest';
import { describe, expect, it } from 'vitest';
import { STRONG_PASSWORD, bearer, registerUser, uniqueEmail } from '../helpers/factories.js';
import { useTestApp } from '../helpers/testApp.js';

const ctx = useTestApp();

describe('/settings/profile', () => {
  it('should return the profile of the caller', async () => {
    const user = await registerUser(ctx.app, { name: 'Grace' });
    const res = await request(ctx.app).get('/api/v1/settings/profile').set(bearer(user.accessToken));
    expect(res.status).toBe(200);
    expect(res.body.user).toMatchObject({
      id: user.id,
      email: user.email,
      name: 'Grace',
      role: 'user',
      mfaEnabled: false,
    });
  });

  it('should change the name', async () => {
    const user = await registerUser(ctx.app);
    const res = await request(ctx.app)
      .post('/api/v1/settings/profile')
      .set(bearer(user.accessToken))
      .send({ name: 'New Name' });
    expect(res.status).toBe(200);
    expect(res.body.user.name).toBe('New Name');
  });

  it('should refuse an email change without the current password', async () => {
    const user = await registerUser(ctx.app);
    const res = await request(ctx.app)
      .post('/api/v1/settings/profile')
      .set(bearer(user.accessToken))
      .send({ email: uniqueEmail() });
    expect(res.status).toBe(401);
    expect((await ctx.prisma.user.findUniqueOrThrow({ where: { id: user.id } })).email).toBe(user.email);
  });

  it('should change the email with the current password, and 409 when taken', async () => {
    const user = await registerUser(ctx.app);
    const other = await registerUser(ctx.app);
    const fresh = uniqueEmail();
    const ok = await request(ctx.app)
      .post('/api/v1/settings/profile')
      .set(bearer(user.accessToken))
      .send({ email: fresh, currentPassword: STRONG_PASSWORD });
    expect(ok.status).toBe(200);
    expect(ok.body.user.email).toBe(fresh);
    const taken = await request(ctx.app)
      .post('/api/v1/settings/profile')
      .set(bearer(user.accessToken))
      .send({ email: other.email, currentPassword: STRONG_PASSWORD });
    expect(taken.status).toBe(409);
  });

  it('should change the password, keep this session and revoke the others', async () => {
    const user = await registerUser(ctx.app);
    const other = await request(ctx.app)
      .post('/api/v1/auth/login')
      .send({ email: user.email, password: STRONG_PASSWORD });
    const newPassword = 'Copper-Meadow-Falcon-77';
    const res = await request(ctx.app)
      .post('/api/v1/settings/profile')
      .set(bearer(user.accessToken))
      .send({ currentPassword: STRONG_PASSWORD, newPassword });
    expect(res.status).toBe(200);
    expect((await request(ctx.app).get('/api/v1/settings/profile').set(bearer(user.accessToken))).status).toBe(200);
    expect((await request(ctx.app).get('/api/v1/settings/profile').set(bearer(other.body.accessToken))).status).toBe(
      401,
    );
    expect(
      (await request(ctx.app).post('/api/v1/auth/refresh-token').send({ refreshToken: other.body.refreshToken }))
        .status,
    ).toBe(401);
    expect(
      (await request(ctx.app).post('/api/v1/auth/login').send({ email: user.email, password: newPassword })).status,
    ).toBe(200);
    expect(await ctx.prisma.auditLog.count({ where: { action: 'user.password_change', actorId: user.id } })).toBe(1);
  });

  it('should reject a weak new password and keep the old one', async () => {
    const user = await registerUser(ctx.app);
    const res = await request(ctx.app)
      .post('/api/v1/settings/profile')
      .set(bearer(user.accessToken))
      .send({ currentPassword: STRONG_PASSWORD, newPassword: 'password123' });
    expect(res.status).toBe(400);
    expect(
      (await request(ctx.app).post('/api/v1/auth/login').send({ email: user.email, password: STRONG_PASSWORD })).status,
    ).toBe(200);
  });

  it('should reject an empty update and unknown fields', async () => {
    const user = await registerUser(ctx.app);
    expect(
      (await request(ctx.app).post('/api/v1/settings/profile').set(bearer(user.accessToken)).send({})).status,
    ).toBe(400);
    expect(
      (await request(ctx.app).post('/api/v1/settings/profile').set(bearer(user.accessToken)).send({ role: 'admin' }))
        .status,
    ).toBe(400);
  });
});
