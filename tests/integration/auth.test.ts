import request from 'supertest';
import { describe, expect, it } from 'vitest';
import { authResponse, tokenResponse } from '../../src/validators/authValidators.js';
import { STRONG_PASSWORD, bearer, registerUser, uniqueEmail } from '../helpers/factories.js';
import { useTestApp } from '../helpers/testApp.js';

const ctx = useTestApp();

describe('POST /auth/register', () => {
  it('should create a user and return tokens in the API shape', async () => {
    const email = uniqueEmail();
    const res = await request(ctx.app)
      .post('/api/v1/auth/register')
      .send({ email, password: STRONG_PASSWORD, name: 'Ada' });
    expect(res.status).toBe(201);
    const body = authResponse.parse(res.body);
    expect(body.user).toEqual({ id: expect.any(String), email, name: 'Ada', role: 'user' });
    expect(body.expiresIn).toBe(900);
    const audit = await ctx.prisma.auditLog.findFirst({ where: { action: 'auth.register', actorId: body.user.id } });
    expect(audit?.requestId).toBe(res.headers['x-request-id']);
  });

  it('should normalise the email (trim, lower-case)', async () => {
    const email = uniqueEmail();
    const res = await request(ctx.app)
      .post('/api/v1/auth/register')
      .send({ email: `  ${email.toUpperCase()} `, password: STRONG_PASSWORD });
    expect(res.status).toBe(201);
    expect(res.body.user.email).toBe(email);
  });

  it('should return 409 CONFLICT for a duplicate email', async () => {
    const user = await registerUser(ctx.app);
    const res = await request(ctx.app)
      .post('/api/v1/auth/register')
      .send({ email: user.email.toUpperCase(), password: STRONG_PASSWORD });
    expect(res.status).toBe(409);
    expect(res.body.error.code).toBe('CONFLICT');
  });

  it.each([
    ['short1', 'too short'],
    ['onlyletterslongenough', 'no digits'],
    ['12345678901234', 'no letters'],
    ['password123', 'a common password'],
  ])('should return 400 for a weak password (%s: %s)', async (password) => {
    const email = uniqueEmail();
    const res = await request(ctx.app).post('/api/v1/auth/register').send({ email, password });
    expect(res.status).toBe(400);
    expect(res.body.error.code).toBe('VALIDATION_ERROR');
    expect(await ctx.prisma.user.count({ where: { email } })).toBe(0);
  });

  it('should return 400 for an invalid email', async () => {
    const res = await request(ctx.app)
      .post('/api/v1/auth/register')
      .send({ email: 'not-an-email', password: STRONG_PASSWORD });
    expect(res.status).toBe(400);
    expect(res.body.error.details[0].path).toBe('email');
  });
});

describe('POST /auth/login', () => {
  it('should return 200 with the user and tokens for the right password', async () => {
    const user = await registerUser(ctx.app);
    const res = await request(ctx.app)
      .post('/api/v1/auth/login')
      .send({ email: user.email, password: STRONG_PASSWORD });
    expect(res.status).toBe(200);
    expect(authResponse.parse(res.body).user.email).toBe(user.email);
  });

  it('should give the same 401 for a wrong password and for an unknown email', async () => {
    const user = await registerUser(ctx.app);
    const wrong = await request(ctx.app)
      .post('/api/v1/auth/login')
      .send({ email: user.email, password: 'Wrong-Password-99' });
    const unknown = await request(ctx.app)
      .post('/api/v1/auth/login')
      .send({ email: uniqueEmail(), password: 'Wrong-Password-99' });
    expect(wrong.status).toBe(401);
    expect(unknown.status).toBe(401);
    expect(wrong.body.error.code).toBe('UNAUTHORIZED');
    expect({ ...wrong.body.error, requestId: '' }).toEqual({ ...unknown.body.error, requestId: '' });
    const failures = await ctx.prisma.auditLog.count({ where: { action: 'auth.login_failure', targetId: user.id } });
    expect(failures).toBe(1);
  });
});

describe('POST /auth/refresh-token', () => {
  it('should rotate: the new token works and the old one stops working', async () => {
    const user = await registerUser(ctx.app);
    const first = await request(ctx.app).post('/api/v1/auth/refresh-token').send({ refreshToken: user.refreshToken });
    expect(first.status).toBe(200);
    const pair = tokenResponse.parse(first.body);
    expect(pair.refreshToken).not.toBe(user.refreshToken);
    const second = await request(ctx.app).post('/api/v1/auth/refresh-token').send({ refreshToken: pair.refreshToken });
    expect(second.status).toBe(200);
  });

  it('should revoke the whole family when a rotated token is presented again', async () => {
    const user = await registerUser(ctx.app);
    const r1 = await request(ctx.app).post('/api/v1/auth/refresh-token').send({ refreshToken: user.refreshToken });
    const r2 = await request(ctx.app).post('/api/v1/auth/refresh-token').send({ refreshToken: r1.body.refreshToken });
    expect(r2.status).toBe(200);

    const reuse = await request(ctx.app).post('/api/v1/auth/refresh-token').send({ refreshToken: user.refreshToken });
    expect(reuse.status).toBe(401);
    // the newest token of the family and its access token fail too
    const latest = await request(ctx.app)
      .post('/api/v1/auth/refresh-token')
      .send({ refreshToken: r2.body.refreshToken });
    expect(latest.status).toBe(401);
    const profile = await request(ctx.app).get('/api/v1/settings/profile').set(bearer(r2.body.accessToken));
    expect(profile.status).toBe(401);
    expect(await ctx.prisma.auditLog.count({ where: { action: 'auth.refresh_reuse', actorId: user.id } })).toBe(1);
  });

  it('should not touch the other sessions of the user on reuse', async () => {
    const user = await registerUser(ctx.app);
    const other = await request(ctx.app)
      .post('/api/v1/auth/login')
      .send({ email: user.email, password: STRONG_PASSWORD });
    await request(ctx.app).post('/api/v1/auth/refresh-token').send({ refreshToken: user.refreshToken });
    await request(ctx.app).post('/api/v1/auth/refresh-token').send({ refreshToken: user.refreshToken });
    const res = await request(ctx.app)
      .post('/api/v1/auth/refresh-token')
      .send({ refreshToken: other.body.refreshToken });
    expect(res.status).toBe(200);
  });

  it('should return 401 for an unknown refresh token', async () => {
    const res = await request(ctx.app)
      .post('/api/v1/auth/refresh-token')
      .send({ refreshToken: 'lgr_unknown_token_value' });
    expect(res.status).toBe(401);
    expect(res.body.error.code).toBe('UNAUTHORIZED');
  });

  it('should return 401 for an expired refresh token', async () => {
    const user = await registerUser(ctx.app);
    await ctx.prisma.refreshToken.updateMany({
      where: { family: { userId: user.id } },
      data: { expiresAt: new Date(Date.now() - 1000) },
    });
    const res = await request(ctx.app).post('/api/v1/auth/refresh-token').send({ refreshToken: user.refreshToken });
    expect(res.status).toBe(401);
  });
});

describe('POST /auth/logout', () => {
  it('should return 204 and make the refresh and access tokens fail', async () => {
    const user = await registerUser(ctx.app);
    const res = await request(ctx.app).post('/api/v1/auth/logout').send({ refreshToken: user.refreshToken });
    expect(res.status).toBe(204);
    const refresh = await request(ctx.app).post('/api/v1/auth/refresh-token').send({ refreshToken: user.refreshToken });
    expect(refresh.status).toBe(401);
    const profile = await request(ctx.app).get('/api/v1/settings/profile').set(bearer(user.accessToken));
    expect(profile.status).toBe(401);
    expect(await ctx.prisma.auditLog.count({ where: { action: 'auth.logout', actorId: user.id } })).toBe(1);
  });

  it('should return 400 without a refresh token', async () => {
    const res = await request(ctx.app).post('/api/v1/auth/logout').send({});
    expect(res.status).toBe(400);
  });
});
