import request from 'supertest';
import { describe, expect, it } from 'vitest';
import { bearer, createProject, registerUser } from '../helpers/factories.js';
import { useTestApp } from '../helpers/testApp.js';

const ctx = useTestApp();
const whoami = (key: string) => request(ctx.app).get('/api/v1/llm/whoami').set('X-API-Key', key);

async function setup() {
  const user = await registerUser(ctx.app);
  const project = await createProject(ctx.app, user);
  return { user, project, base: `/api/v1/projects/${project.id}/api-keys` };
}

describe('API keys', () => {
  it('should answer whoami with the project, key and plan, by X-API-Key or Bearer', async () => {
    const { project } = await setup();
    const res = await whoami(project.apiKey);
    expect(res.status).toBe(200);
    expect(res.body).toEqual({ projectId: project.id, apiKeyId: project.apiKeyId, plan: 'unlimited' }); // self-hosted default
    const bearerRes = await request(ctx.app).get('/api/v1/llm/whoami').set('Authorization', `Bearer ${project.apiKey}`);
    expect(bearerRes.status).toBe(200);
  });

  it('should refuse a wrong or missing key with 401', async () => {
    expect((await whoami('lgk_not-a-real-key')).status).toBe(401);
    const res = await request(ctx.app).get('/api/v1/llm/whoami');
    expect(res.status).toBe(401);
    expect(res.body.error.code).toBe('UNAUTHORIZED');
  });

  it('should create a named key with an expiry and list keys without secrets', async () => {
    const { user, base } = await setup();
    const expiresAt = new Date(Date.now() + 86_400_000).toISOString();
    const created = await request(ctx.app)
      .post(`${base}/create`)
      .set(bearer(user.accessToken))
      .send({ name: 'ci', expiresAt });
    expect(created.status).toBe(201);
    expect(created.body.apiKey).toMatchObject({ name: 'ci', expiresAt, key: expect.stringMatching(/^lgk_/) });
    const list = await request(ctx.app).get(base).set(bearer(user.accessToken));
    expect(list.status).toBe(200);
    expect(list.body.data).toHaveLength(2);
    expect(JSON.stringify(list.body)).not.toContain(created.body.apiKey.key);
    for (const k of list.body.data) expect(k.key).toBeUndefined();
  });

  it('should reject an expiry in the past', async () => {
    const { user, base } = await setup();
    const res = await request(ctx.app)
      .post(`${base}/create`)
      .set(bearer(user.accessToken))
      .send({ expiresAt: new Date(Date.now() - 1000).toISOString() });
    expect(res.status).toBe(400);
  });

  it('should refuse a key after its expiresAt', async () => {
    const { user, base } = await setup();
    const created = await request(ctx.app)
      .post(`${base}/create`)
      .set(bearer(user.accessToken))
      .send({ expiresAt: new Date(Date.now() + 1500).toISOString() });
    expect((await whoami(created.body.apiKey.key)).status).toBe(200);
    await new Promise((r) => setTimeout(r, 1600));
    expect((await whoami(created.body.apiKey.key)).status).toBe(401);
  });

  it('should make a deleted key fail immediately', async () => {
    const { user, project, base } = await setup();
    expect((await whoami(project.apiKey)).status).toBe(200);
    const res = await request(ctx.app)
      .post(`${base}/delete`)
      .set(bearer(user.accessToken))
      .send({ apiKeyId: project.apiKeyId });
    expect(res.status).toBe(204);
    expect((await whoami(project.apiKey)).status).toBe(401);
    const again = await request(ctx.app)
      .post(`${base}/delete`)
      .set(bearer(user.accessToken))
      .send({ apiKeyId: project.apiKeyId });
    expect(again.status).toBe(404);
    expect(await ctx.prisma.auditLog.count({ where: { action: 'apikey.delete', targetId: project.apiKeyId } })).toBe(1);
  });

  it('should rotate without grace: new key works, old key refused at once', async () => {
    const { user, project, base } = await setup();
    expect((await whoami(project.apiKey)).status).toBe(200);
    const res = await request(ctx.app)
      .post(`${base}/rotate`)
      .set(bearer(user.accessToken))
      .send({ apiKeyId: project.apiKeyId });
    expect(res.status).toBe(201);
    expect(res.body.apiKey.key).toMatch(/^lgk_/);
    expect(res.body.previous).toEqual({ id: project.apiKeyId, expiresAt: expect.any(String) });
    expect((await whoami(res.body.apiKey.key)).status).toBe(200);
    expect((await whoami(project.apiKey)).status).toBe(401);
  });

  it('should keep the old key working during the grace period and refuse it after', async () => {
    const { user, project, base } = await setup();
    const res = await request(ctx.app)
      .post(`${base}/rotate`)
      .set(bearer(user.accessToken))
      .send({ apiKeyId: project.apiKeyId, gracePeriodSeconds: 2 });
    expect(res.status).toBe(201);
    expect(Date.parse(res.body.previous.expiresAt) - Date.now()).toBeGreaterThan(1000);
    expect((await whoami(project.apiKey)).status).toBe(200);
    expect((await whoami(res.body.apiKey.key)).status).toBe(200);
    await new Promise((r) => setTimeout(r, 2100));
    expect((await whoami(project.apiKey)).status).toBe(401);
    expect((await whoami(res.body.apiKey.key)).status).toBe(200);
  });

  it('should keep lastUsedAt roughly current without a write per request', async () => {
    const { project } = await setup();
    await whoami(project.apiKey);
    await whoami(project.apiKey);
    const before = await ctx.prisma.apiKey.findUniqueOrThrow({ where: { id: project.apiKeyId } });
    expect(before.lastUsedAt).toBeNull();
    const { KeyCache } = await import('../../src/services/auth/keyCache.js');
    const { localBus } = await import('../../src/db/notifyBus.js');
    const cache = new KeyCache(ctx.prisma, localBus(), { lastUsedFlushMs: 0 });
    await cache.authenticate(project.apiKey);
    expect(await cache.flushLastUsed()).toBe(1);
    const after = await ctx.prisma.apiKey.findUniqueOrThrow({ where: { id: project.apiKeyId } });
    expect(after.lastUsedAt).toBeInstanceOf(Date);
    expect(Math.abs(after.lastUsedAt!.getTime() - Date.now())).toBeLessThan(5_000);
  });

  it('should validate rotate and delete bodies', async () => {
    const { user, base } = await setup();
    expect((await request(ctx.app).post(`${base}/rotate`).set(bearer(user.accessToken)).send({})).status).toBe(400);
    expect(
      (
        await request(ctx.app)
          .post(`${base}/rotate`)
          .set(bearer(user.accessToken))
          .send({ apiKeyId: 'x', gracePeriodSeconds: -1 })
      ).status,
    ).toBe(400);
    expect(
      (await request(ctx.app).post(`${base}/delete`).set(bearer(user.accessToken)).send({ apiKeyId: 'unknown' }))
        .status,
    ).toBe(404);
  });
});
