/**
 * Feature flags: the admin API (create, change, archive; each audited), GET /flags for the
 * signed-in user, the cache and its invalidation across app instances over LISTEN/NOTIFY, and
 * the feature they gate (starting an A/B split, flag `config-splits`).
 */
import type { Express } from 'express';
import pino from 'pino';
import request from 'supertest';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createApp } from '../../src/app.js';
import { responseComponents } from '../../src/docs/responses.js';
import { postgresBus, type NotifyBus } from '../../src/db/notifyBus.js';
import { KeyCache } from '../../src/services/auth/keyCache.js';
import { bearer, createAdmin, createProject, registerUser, type TestUser } from '../helpers/factories.js';
import { useTestApp } from '../helpers/testApp.js';

const ctx = useTestApp({ openai: null });
let admin: TestUser;
let user: TestUser;
beforeAll(async () => {
  admin = await createAdmin(ctx.app, ctx.prisma);
  user = await registerUser(ctx.app);
});

const FLAGS_URL = '/api/v1/admin/flags';
const createFlag = (body: Record<string, unknown>) =>
  request(ctx.app).post(FLAGS_URL).set(bearer(admin.accessToken)).send(body);
const myFlags = (app: Express, who: TestUser, query = '') =>
  request(app).get(`/api/v1/flags${query}`).set(bearer(who.accessToken));

describe('admin flag API', () => {
  it('should create a flag (201, documented shape) and refuse the same key again with 409', async () => {
    const res = await createFlag({
      key: 'new-dashboard',
      description: 'the new UI',
      enabled: true,
      rolloutPercent: 25,
    });
    expect(res.status).toBe(201);
    expect(res.body.flag).toMatchObject({
      key: 'new-dashboard',
      enabled: true,
      rolloutPercent: 25,
      archived: false,
      createdBy: admin.id,
    });
    expect(responseComponents.FlagResponse.safeParse(res.body).error?.issues ?? []).toEqual([]);

    const again = await createFlag({ key: 'new-dashboard' });
    expect(again.status).toBe(409);
    expect(again.body.error.code).toBe('CONFLICT');
  });

  it('should refuse a bad key, an unknown field and duplicate variant names with 400 VALIDATION_ERROR', async () => {
    for (const body of [
      { key: 'Has Spaces' },
      { key: 'ok-key', rollout: 10 },
      { key: 'ok-key', rolloutPercent: 101 },
      {
        key: 'ok-key',
        variants: [
          { name: 'a', weight: 1 },
          { name: 'a', weight: 2 },
        ],
      },
    ]) {
      const res = await createFlag(body);
      expect(res.status, JSON.stringify(body)).toBe(400);
      expect(res.body.error.code).toBe('VALIDATION_ERROR');
    }
  });

  it('should answer 404 NOT_FOUND for an unknown key on patch, archive and delete', async () => {
    const auth = bearer(admin.accessToken);
    const calls = [
      request(ctx.app).patch(`${FLAGS_URL}/no-such-flag`).set(auth).send({ enabled: true }),
      request(ctx.app).post(`${FLAGS_URL}/no-such-flag/archive`).set(auth),
      request(ctx.app).delete(`${FLAGS_URL}/no-such-flag`).set(auth),
    ];
    for (const res of await Promise.all(calls)) {
      expect(res.status).toBe(404);
      expect(res.body.error.code).toBe('NOT_FOUND');
    }
  });

  it('should refuse a signed-in user without the admin role with 403 on every admin flag route', async () => {
    const auth = bearer(user.accessToken);
    const calls = [
      request(ctx.app).get(FLAGS_URL).set(auth),
      request(ctx.app).post(FLAGS_URL).set(auth).send({ key: 'sneaky' }),
      request(ctx.app).patch(`${FLAGS_URL}/new-dashboard`).set(auth).send({ enabled: false }),
      request(ctx.app).post(`${FLAGS_URL}/new-dashboard/archive`).set(auth),
      request(ctx.app).delete(`${FLAGS_URL}/new-dashboard`).set(auth),
    ];
    for (const res of await Promise.all(calls)) {
      expect(res.status).toBe(403);
      expect(res.body.error.code).toBe('FORBIDDEN');
    }
    expect(await ctx.prisma.featureFlag.findUnique({ where: { key: 'sneaky' } })).toBeNull();
  });

  it('should write one audit row per change: create, update (each field before and after), archive', async () => {
    const auth = bearer(admin.accessToken);
    await createFlag({ key: 'audited', enabled: false }).expect(201);
    await request(ctx.app)
      .patch(`${FLAGS_URL}/audited`)
      .set(auth)
      .send({ enabled: true, rolloutPercent: 40 })
      .expect(200);
    const archived = await request(ctx.app).post(`${FLAGS_URL}/audited/archive`).set(auth);
    expect(archived.status).toBe(200);
    expect(archived.body.flag.archived).toBe(true);
    // archiving again changes nothing and writes nothing
    await request(ctx.app).delete(`${FLAGS_URL}/audited`).set(auth).expect(200);

    const rows = await ctx.prisma.auditLog.findMany({ where: { targetId: 'audited' }, orderBy: { createdAt: 'asc' } });
    expect(rows.map((r) => [r.action, r.targetType, r.actorId])).toEqual([
      ['feature_flag.create', 'feature_flag', admin.id],
      ['feature_flag.update', 'feature_flag', admin.id],
      ['feature_flag.archive', 'feature_flag', admin.id],
    ]);
    expect((rows[1]!.metadata as { changes: unknown[] }).changes).toEqual([
      { field: 'enabled', from: false, to: true },
      { field: 'rolloutPercent', from: 100, to: 40 },
    ]);

    const change = await request(ctx.app).patch(`${FLAGS_URL}/audited`).set(auth).send({ enabled: false });
    expect(change.status).toBe(409);
    expect(change.body.error.code).toBe('CONFLICT');
  });

  it('should list flags, without archived ones when archived=false', async () => {
    const auth = bearer(admin.accessToken);
    const all = await request(ctx.app).get(FLAGS_URL).set(auth);
    expect(all.status).toBe(200);
    expect(responseComponents.FlagList.safeParse(all.body).error?.issues ?? []).toEqual([]);
    expect(all.body.data.map((f: { key: string }) => f.key)).toEqual(
      expect.arrayContaining(['audited', 'new-dashboard']),
    );
    const live = await request(ctx.app).get(`${FLAGS_URL}?archived=false`).set(auth);
    expect(live.body.data.map((f: { key: string }) => f.key)).not.toContain('audited');
  });
});

describe('GET /api/v1/flags', () => {
  it('should answer 401 without a token', async () => {
    const res = await request(ctx.app).get('/api/v1/flags');
    expect(res.status).toBe(401);
    expect(res.body.error.code).toBe('UNAUTHORIZED');
  });

  it('should return each flag as it decides for the caller: allow, deny, variant, archived off', async () => {
    const other = await registerUser(ctx.app);
    await createFlag({
      key: 'beta-reports',
      enabled: true,
      rolloutPercent: 0,
      allowUsers: [user.id, other.id],
      denyUsers: [other.id],
    }).expect(201);
    await createFlag({
      key: 'pricing-experiment',
      enabled: true,
      allowUsers: [user.id],
      variants: [{ name: 'only', weight: 1, value: 'x' }],
    }).expect(201);

    const mine = await myFlags(ctx.app, user);
    expect(mine.status).toBe(200);
    expect(responseComponents.EvaluatedFlags.safeParse(mine.body).error?.issues ?? []).toEqual([]);
    expect(mine.body.flags['beta-reports']).toEqual({ enabled: true, variant: null });
    expect(mine.body.flags['pricing-experiment']).toEqual({ enabled: true, variant: 'only' });
    expect(mine.body.flags.audited).toEqual({ enabled: false, variant: null });

    const theirs = await myFlags(ctx.app, other);
    expect(theirs.body.flags['beta-reports']).toEqual({ enabled: false, variant: null });
  });

  it("should apply a project's lists for one of the caller's projects, and answer 404 for another tenant's", async () => {
    const project = await createProject(ctx.app, user);
    await createFlag({ key: 'project-beta', enabled: true, rolloutPercent: 0, allowProjects: [project.id] }).expect(
      201,
    );
    expect((await myFlags(ctx.app, user)).body.flags['project-beta'].enabled).toBe(false);
    expect((await myFlags(ctx.app, user, `?projectId=${project.id}`)).body.flags['project-beta'].enabled).toBe(true);

    const stranger = await registerUser(ctx.app);
    const res = await myFlags(ctx.app, stranger, `?projectId=${project.id}`);
    expect(res.status).toBe(404);
    expect(res.body.error.code).toBe('NOT_FOUND');
  });

  it('should evaluate from memory, and see an admin change at once on the same instance', async () => {
    await createFlag({ key: 'cached', enabled: true }).expect(201);
    expect((await myFlags(ctx.app, user)).body.flags.cached.enabled).toBe(true);
    // A write behind the app's back (no notification) is not seen: the answer comes from the cache.
    await ctx.prisma.featureFlag.update({ where: { key: 'cached' }, data: { enabled: false } });
    expect((await myFlags(ctx.app, user)).body.flags.cached.enabled).toBe(true);
    // Through the admin API, the cache is dropped.
    await request(ctx.app)
      .patch(`${FLAGS_URL}/cached`)
      .set(bearer(admin.accessToken))
      .send({ rolloutPercent: 100 })
      .expect(200);
    expect((await myFlags(ctx.app, user)).body.flags.cached.enabled).toBe(false);
  });
});

describe('flag invalidation across app instances (PostgreSQL LISTEN/NOTIFY)', () => {
  const buses: NotifyBus[] = [];
  afterAll(async () => {
    for (const b of buses) await b.close();
  });
  async function instance(): Promise<Express> {
    const bus = await postgresBus(ctx.prisma, ctx.databaseUrl, pino({ level: 'silent' }));
    buses.push(bus);
    // as server.ts does: the flags follow the key cache's bus (their snapshot is trusted for 30 s)
    const keyCache = new KeyCache(ctx.prisma, bus, { lastUsedFlushMs: 0 });
    return createApp({ prisma: ctx.prisma, keyCache, openai: null });
  }

  it('should show a flag changed through one instance on the other within a second', async () => {
    const [a, b] = [await instance(), await instance()];
    await request(a)
      .post(FLAGS_URL)
      .set(bearer(admin.accessToken))
      .send({ key: 'replicated', enabled: true })
      .expect(201);
    expect((await myFlags(b, user)).body.flags.replicated.enabled).toBe(true);

    await request(a)
      .patch(`${FLAGS_URL}/replicated`)
      .set(bearer(admin.accessToken))
      .send({ denyUsers: [user.id] })
      .expect(200);
    const started = Date.now();
    while ((await myFlags(b, user)).body.flags.replicated.enabled) {
      if (Date.now() - started > 1000) throw new Error('instance b still serves the old flag after 1 s');
      await new Promise((r) => setTimeout(r, 20));
    }

    await request(a).delete(`${FLAGS_URL}/replicated`).set(bearer(admin.accessToken)).expect(200);
    await request(a)
      .patch(`${FLAGS_URL}/replicated`)
      .set(bearer(admin.accessToken))
      .send({ denyUsers: [] })
      .expect(409);
  });

  it('should keep serving the cached flag on the other instance when nothing is notified', async () => {
    const [a, b] = [await instance(), await instance()];
    await request(a).post(FLAGS_URL).set(bearer(admin.accessToken)).send({ key: 'silent', enabled: true }).expect(201);
    expect((await myFlags(b, user)).body.flags.silent.enabled).toBe(true);
    await ctx.prisma.featureFlag.update({ where: { key: 'silent' }, data: { enabled: false } });
    await new Promise((r) => setTimeout(r, 200));
    expect((await myFlags(b, user)).body.flags.silent.enabled).toBe(true);
  });
});

describe('the config-splits flag gates starting an A/B split', () => {
  async function projectWithTwoVersions(owner: TestUser) {
    const project = await createProject(ctx.app, owner);
    await request(ctx.app)
      .post(`/api/v1/projects/${project.id}/config-versions`)
      .set(bearer(owner.accessToken))
      .send({ config: { model: 'gpt-4o-mini' } })
      .expect(201);
    return project;
  }
  const startSplit = (owner: TestUser, projectId: string) =>
    request(ctx.app)
      .put(`/api/v1/projects/${projectId}/config-split`)
      .set(bearer(owner.accessToken))
      .send({
        arms: [
          { version: 1, weight: 90 },
          { version: 2, weight: 10 },
        ],
      });

  it('should start a split while no config-splits flag exists', async () => {
    const project = await projectWithTwoVersions(user);
    expect((await startSplit(user, project.id)).status).toBe(200);
  });

  it('should refuse with 403 FEATURE_DISABLED when the flag is off, and allow it once on for that project', async () => {
    const owner = await registerUser(ctx.app);
    const project = await projectWithTwoVersions(owner);
    await createFlag({ key: 'config-splits', enabled: true, rolloutPercent: 0 }).expect(201);

    const refused = await startSplit(owner, project.id);
    expect(refused.status).toBe(403);
    expect(refused.body.error).toMatchObject({ code: 'FEATURE_DISABLED', details: { flag: 'config-splits' } });
    expect((await ctx.prisma.project.findUnique({ where: { id: project.id } }))?.configSplit).toBeNull();

    await request(ctx.app)
      .patch(`${FLAGS_URL}/config-splits`)
      .set(bearer(admin.accessToken))
      .send({ allowProjects: [project.id] })
      .expect(200);
    expect((await startSplit(owner, project.id)).status).toBe(200);

    await request(ctx.app)
      .patch(`${FLAGS_URL}/config-splits`)
      .set(bearer(admin.accessToken))
      .send({ rolloutPercent: 100, denyUsers: [owner.id] })
      .expect(200);
    expect((await startSplit(owner, project.id)).body.error.code).toBe('FEATURE_DISABLED');
    expect((await startSplit(user, (await projectWithTwoVersions(user)).id)).status).toBe(200);
  });

  it("should still answer 404 for another tenant's project while the flag is off", async () => {
    const stranger = await registerUser(ctx.app);
    const project = await projectWithTwoVersions(user);
    const res = await startSplit(stranger, project.id);
    expect(res.status).toBe(404);
  });
});
