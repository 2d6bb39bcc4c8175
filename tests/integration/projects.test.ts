import request from 'supertest';
import { describe, expect, it } from 'vitest';
import { bearer, createAdmin, createProject, registerUser } from '../helpers/factories.js';
import { useTestApp } from '../helpers/testApp.js';

const ctx = useTestApp();

describe('projects', () => {
  it('should create a project with a first API key shown once', async () => {
    const user = await registerUser(ctx.app);
    const res = await request(ctx.app)
      .post('/api/v1/projects')
      .set(bearer(user.accessToken))
      .send({ name: 'Support bot', description: 'prod' });
    expect(res.status).toBe(201);
    expect(res.body.project).toMatchObject({
      name: 'Support bot',
      description: 'prod',
      safetyThreshold: 80,
      piiMode: 'off',
      ownerId: user.id,
    });
    expect(res.body.apiKey).toMatchObject({
      id: expect.any(String),
      name: 'default',
      prefix: expect.stringMatching(/^lgk_/),
      expiresAt: null,
      lastUsedAt: null,
    });
    expect(res.body.apiKey.key).toMatch(/^lgk_[A-Za-z0-9_-]{43}$/);
    expect(res.body.apiKey.key.startsWith(res.body.apiKey.prefix)).toBe(true);
    const stored = await ctx.prisma.apiKey.findUniqueOrThrow({ where: { id: res.body.apiKey.id } });
    expect(stored.keyHash).not.toContain(res.body.apiKey.key);
    expect(stored.keyHash).toMatch(/^[0-9a-f]{64}$/);
    expect(
      await ctx.prisma.auditLog.count({ where: { action: 'project.create', targetId: res.body.project.id } }),
    ).toBe(1);
  });

  it('should list only the caller projects, paginated', async () => {
    const user = await registerUser(ctx.app);
    const other = await registerUser(ctx.app);
    await createProject(ctx.app, user, 'A');
    await createProject(ctx.app, user, 'B');
    await createProject(ctx.app, other, 'C');
    const res = await request(ctx.app).get('/api/v1/projects?limit=1').set(bearer(user.accessToken));
    expect(res.status).toBe(200);
    expect(res.body).toMatchObject({ page: 1, limit: 1, total: 2 });
    expect(res.body.data).toHaveLength(1);
    expect(res.body.data[0].name).toBe('B');
  });

  it('should get one project, and 404 for another user', async () => {
    const user = await registerUser(ctx.app);
    const other = await registerUser(ctx.app);
    const project = await createProject(ctx.app, user);
    const mine = await request(ctx.app).get(`/api/v1/projects/${project.id}`).set(bearer(user.accessToken));
    expect(mine.status).toBe(200);
    expect(mine.body.project.id).toBe(project.id);
    const theirs = await request(ctx.app).get(`/api/v1/projects/${project.id}`).set(bearer(other.accessToken));
    expect(theirs.status).toBe(404);
    expect(theirs.body.error.code).toBe('NOT_FOUND');
  });

  it('should let an admin see any project', async () => {
    const user = await registerUser(ctx.app);
    const admin = await createAdmin(ctx.app, ctx.prisma);
    const project = await createProject(ctx.app, user);
    const res = await request(ctx.app).get(`/api/v1/projects/${project.id}`).set(bearer(admin.accessToken));
    expect(res.status).toBe(200);
  });

  it('should validate the body', async () => {
    const user = await registerUser(ctx.app);
    const res = await request(ctx.app).post('/api/v1/projects').set(bearer(user.accessToken)).send({ name: '' });
    expect(res.status).toBe(400);
    expect(res.body.error.details[0].path).toBe('name');
  });

  it('should delete a project: 204, its key fails at once, it is gone, and the purge removes its data', async () => {
    const user = await registerUser(ctx.app);
    const project = await createProject(ctx.app, user);
    expect((await request(ctx.app).get('/api/v1/llm/whoami').set('X-API-Key', project.apiKey)).status).toBe(200);
    const res = await request(ctx.app).delete(`/api/v1/projects/${project.id}`).set(bearer(user.accessToken));
    expect(res.status).toBe(204);
    expect((await request(ctx.app).get('/api/v1/llm/whoami').set('X-API-Key', project.apiKey)).status).toBe(401);
    expect((await request(ctx.app).get(`/api/v1/projects/${project.id}`).set(bearer(user.accessToken))).status).toBe(
      404,
    );
    expect((await request(ctx.app).delete(`/api/v1/projects/${project.id}`).set(bearer(user.accessToken))).status).toBe(
      404,
    );
    expect(await ctx.prisma.auditLog.count({ where: { action: 'project.delete', targetId: project.id } })).toBe(1);

    const { purgeDeletedProjects } = await import('../../src/services/projects/projectService.js');
    const purged = await purgeDeletedProjects(ctx.prisma);
    expect(purged.projects).toBeGreaterThanOrEqual(1);
    expect(await ctx.prisma.project.count({ where: { id: project.id } })).toBe(0);
    expect(await ctx.prisma.apiKey.count({ where: { projectId: project.id } })).toBe(0);
  });

  it('should require a token', async () => {
    expect((await request(ctx.app).get('/api/v1/projects')).status).toBe(401);
  });
});
