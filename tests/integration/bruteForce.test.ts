import request from 'supertest';
import { describe, expect, it } from 'vitest';
import { createSecurity } from '../../src/services/auth/security.js';
import { STRONG_PASSWORD, bearer, createAdmin, registerUser } from '../helpers/factories.js';
import { useTestApp } from '../helpers/testApp.js';

const ctx = useTestApp({
  trustProxy: true,
  security: createSecurity({
    authPerIp: 1000,
    authPerEmail: 3,
    authFailuresPerEmail: 6,
    authWindowSeconds: 60,
    ipBlockThreshold: 6,
    ipBlockWindowSeconds: 60,
    ipBlockDurationSeconds: 1,
  }),
});

const from = (ip: string) => ({ 'X-Forwarded-For': ip });

async function attack(ip: string, email: string, times: number) {
  const statuses: number[] = [];
  for (let i = 0; i < times; i++) {
    const res = await request(ctx.app)
      .post('/api/v1/auth/login')
      .set(from(ip))
      .send({ email, password: 'Wrong-Guess-123' });
    statuses.push(res.status);
  }
  return statuses;
}

describe('brute force protection', () => {
  it('should answer 429 with Retry-After after the per email+IP limit, then block the IP, then lift the block after its time', async () => {
    const victim = await registerUser(ctx.app);
    const ip = '203.0.113.7';
    const statuses = await attack(ip, victim.email, 3);
    expect(statuses).toEqual([401, 401, 401]);

    const limited = await request(ctx.app)
      .post('/api/v1/auth/login')
      .set(from(ip))
      .send({ email: victim.email, password: 'x' });
    expect(limited.status).toBe(429);
    expect(limited.body.error.code).toBe('RATE_LIMITED');
    expect(Number(limited.headers['retry-after'])).toBeGreaterThan(0);
    expect(limited.headers['ratelimit-limit']).toBe('3');
    expect(limited.headers['ratelimit-remaining']).toBe('0');

    // failures (401s and refused attempts) keep counting until the IP is blocked
    const more = await attack(ip, victim.email, 4);
    expect(more.at(-1)).toBe(403);
    const blocked = await request(ctx.app)
      .get('/api/v1/settings/profile')
      .set(from(ip))
      .set(bearer(victim.accessToken));
    expect(blocked.status).toBe(403);
    expect(blocked.body.error.code).toBe('IP_BLOCKED');
    // other addresses are unaffected
    expect(
      (
        await request(ctx.app)
          .get('/api/v1/settings/profile')
          .set(from('198.51.100.20'))
          .set(bearer(victim.accessToken))
      ).status,
    ).toBe(200);
    expect(await ctx.prisma.auditLog.count({ where: { action: 'security.ip_block', targetId: ip } })).toBe(1);

    await new Promise((r) => setTimeout(r, 1100));
    const after = await request(ctx.app).get('/api/v1/settings/profile').set(from(ip)).set(bearer(victim.accessToken));
    expect(after.status).toBe(200);
  });

  it("should not let failures from one IP block the owner's correct login from another, while that IP gets 429", async () => {
    const victim = await registerUser(ctx.app);
    const attacker = '203.0.113.50';
    expect(await attack(attacker, victim.email, 3)).toEqual([401, 401, 401]);
    const limited = await request(ctx.app)
      .post('/api/v1/auth/login')
      .set(from(attacker))
      .send({ email: victim.email, password: victim.password });
    expect(limited.status).toBe(429);
    expect(limited.body.error.code).toBe('RATE_LIMITED');

    const owner = await request(ctx.app)
      .post('/api/v1/auth/login')
      .set(from('198.51.100.50'))
      .send({ email: victim.email, password: victim.password });
    expect(owner.status).toBe(200);
    expect(owner.body.accessToken).toEqual(expect.any(String));
  });

  it("should stop distributed guessing past the email's failure limit, except from an IP the owner logged in from", async () => {
    const victim = await registerUser(ctx.app);
    const home = '198.51.100.60';
    await request(ctx.app)
      .post('/api/v1/auth/login')
      .set(from(home))
      .send({ email: victim.email, password: victim.password })
      .expect(200);
    // 6 failures from 3 addresses, each under its per email+IP limit and its IP-block threshold
    for (const ip of ['203.0.113.61', '203.0.113.62', '203.0.113.63']) {
      expect(await attack(ip, victim.email, 2)).toEqual([401, 401]);
    }

    const stranger = await request(ctx.app)
      .post('/api/v1/auth/login')
      .set(from('203.0.113.64'))
      .send({ email: victim.email, password: victim.password });
    expect(stranger.status).toBe(429);
    expect(stranger.body.error.code).toBe('RATE_LIMITED');
    expect(Number(stranger.headers['retry-after'])).toBeGreaterThan(0);

    const owner = await request(ctx.app)
      .post('/api/v1/auth/login')
      .set(from(home))
      .send({ email: victim.email, password: victim.password });
    expect(owner.status).toBe(200);
    // other accounts are not affected
    const other = await registerUser(ctx.app);
    const otherLogin = await request(ctx.app)
      .post('/api/v1/auth/login')
      .set(from('203.0.113.64'))
      .send({ email: other.email, password: other.password });
    expect(otherLogin.status).toBe(200);
  });

  it('should let an admin list and lift a block', async () => {
    const victim = await registerUser(ctx.app);
    const admin = await createAdmin(ctx.app, ctx.prisma);
    const ip = '203.0.113.99';
    await attack(ip, victim.email, 8);
    const list = await request(ctx.app)
      .get('/api/v1/admin/ip-blocks')
      .set(from('198.51.100.1'))
      .set(bearer(admin.accessToken));
    expect(list.status).toBe(200);
    expect(list.body.data).toContainEqual(
      expect.objectContaining({ ip, reason: expect.any(String), expiresAt: expect.any(String) }),
    );

    const lift = await request(ctx.app)
      .delete(`/api/v1/admin/ip-blocks/${ip}`)
      .set(from('198.51.100.1'))
      .set(bearer(admin.accessToken));
    expect(lift.status).toBe(204);
    const res = await request(ctx.app)
      .post('/api/v1/auth/register')
      .set(from(ip))
      .send({ email: `x${Date.now()}@example.com`, password: STRONG_PASSWORD });
    expect(res.status).toBe(201);
    expect(await ctx.prisma.auditLog.count({ where: { action: 'security.ip_unblock', targetId: ip } })).toBe(1);
    const again = await request(ctx.app)
      .delete(`/api/v1/admin/ip-blocks/${ip}`)
      .set(from('198.51.100.1'))
      .set(bearer(admin.accessToken));
    expect(again.status).toBe(404);
  });

  it('should reject an unblock of something that is not an IP', async () => {
    const admin = await createAdmin(ctx.app, ctx.prisma);
    const res = await request(ctx.app)
      .delete('/api/v1/admin/ip-blocks/not-an-ip')
      .set(from('198.51.100.2'))
      .set(bearer(admin.accessToken));
    expect(res.status).toBe(400);
  });
});
