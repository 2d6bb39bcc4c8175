import request from 'supertest';
import { describe, expect, it } from 'vitest';
import { bearer, createAdmin, registerUser } from '../helpers/factories.js';
import { useTestApp } from '../helpers/testApp.js';

const ctx = useTestApp();

describe('admin routes', () => {
  it('should return 403 FORBIDDEN to a user', async () => {
    const user = await registerUser(ctx.app);
    for (const path of ['/api/v1/admin/users', '/api/v1/admin/audit-logs', '/api/v1/admin/ip-blocks']) {
      const res = await request(ctx.app).get(path).set(bearer(user.accessToken));
      expect(res.status).toBe(403);
      expect(res.body.error.code).toBe('FORBIDDEN');
    }
  });

  it('should return 401 without a token', async () => {
    const res = await request(ctx.app).get('/api/v1/admin/users');
    expect(res.status).toBe(401);
  });

  it('should list users with pagination and never a password hash', async () => {
    const admin = await createAdmin(ctx.app, ctx.prisma);
    await registerUser(ctx.app);
    await registerUser(ctx.app);
    const res = await request(ctx.app).get('/api/v1/admin/users?limit=2&page=1').set(bearer(admin.accessToken));
    expect(res.status).toBe(200);
    expect(res.body).toMatchObject({ page: 1, limit: 2, total: expect.any(Number) });
    expect(res.body.data).toHaveLength(2);
    expect(res.body.total).toBeGreaterThanOrEqual(3);
    expect(JSON.stringify(res.body)).not.toMatch(/passwordHash|\$2[aby]\$/);
  });

  it('should filter users by role', async () => {
    const admin = await createAdmin(ctx.app, ctx.prisma);
    const res = await request(ctx.app).get('/api/v1/admin/users?role=admin').set(bearer(admin.accessToken));
    expect(res.status).toBe(200);
    expect(res.body.data.every((u: { role: string }) => u.role === 'admin')).toBe(true);
  });

  it('should reject a limit above 100', async () => {
    const admin = await createAdmin(ctx.app, ctx.prisma);
    const res = await request(ctx.app).get('/api/v1/admin/users?limit=101').set(bearer(admin.accessToken));
    expect(res.status).toBe(400);
  });

  it('should list audit logs filtered by action and actor', async () => {
    const admin = await createAdmin(ctx.app, ctx.prisma);
    const user = await registerUser(ctx.app);
    const res = await request(ctx.app)
      .get(`/api/v1/admin/audit-logs?action=auth.register&actorId=${user.id}`)
      .set(bearer(admin.accessToken));
    expect(res.status).toBe(200);
    expect(res.body.total).toBe(1);
    expect(res.body.data[0]).toMatchObject({
      action: 'auth.register',
      actorId: user.id,
      targetId: user.id,
      ip: expect.any(String),
    });
  });

  it('should change a role and audit it', async () => {
    const admin = await createAdmin(ctx.app, ctx.prisma);
    const user = await registerUser(ctx.app);
    const res = await request(ctx.app)
      .post(`/api/v1/admin/users/${user.id}/role`)
      .set(bearer(admin.accessToken))
      .send({ role: 'admin' });
    expect(res.status).toBe(200);
    expect(res.body.user.role).toBe('admin');
    const audit = await ctx.prisma.auditLog.findFirst({ where: { action: 'user.role_change', targetId: user.id } });
    expect(audit?.actorId).toBe(admin.id);
  });

  it('should return 404 for the role of an unknown user', async () => {
    const admin = await createAdmin(ctx.app, ctx.prisma);
    const res = await request(ctx.app)
      .post('/api/v1/admin/users/nope/role')
      .set(bearer(admin.accessToken))
      .send({ role: 'admin' });
    expect(res.status).toBe(404);
  });
});
