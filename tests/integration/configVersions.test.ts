/**
 * Config versions: every change of what shapes a call is a numbered, immutable version; the
 * settings endpoints create them too; activating (or rolling back) is one atomic change that
 * the next /llm/request obeys and that records its number on the stored row.
 */
import request from 'supertest';
import { describe, expect, it } from 'vitest';
import { bearer, createProject, registerUser, type TestProject, type TestUser } from '../helpers/factories.js';
import { useTestApp } from '../helpers/testApp.js';

const ctx = useTestApp({ openai: null });

const base = (p: TestProject) => `/api/v1/projects/${p.id}`;

async function setup(): Promise<{ user: TestUser; project: TestProject }> {
  const user = await registerUser(ctx.app);
  const project = await createProject(ctx.app, user);
  return { user, project };
}

function ingest(project: TestProject, body: Record<string, unknown> = {}) {
  return request(ctx.app)
    .post('/api/v1/llm/request')
    .set('X-API-Key', project.apiKey)
    .send({ model: 'gpt-4o', prompt: 'hello there', latencyMs: 10, ...body });
}

function createVersion(user: TestUser, project: TestProject, config: Record<string, unknown>, message?: string) {
  return request(ctx.app)
    .post(`${base(project)}/config-versions`)
    .set(bearer(user.accessToken))
    .send({ config, message });
}

const activate = (user: TestUser, project: TestProject, n: number) =>
  request(ctx.app)
    .post(`${base(project)}/config-versions/${n}/activate`)
    .set(bearer(user.accessToken))
    .send();

describe('config versions', () => {
  it('should start a new project at version 1, active, holding its settings', async () => {
    const { user, project } = await setup();
    const res = await request(ctx.app)
      .get(`${base(project)}/config-versions`)
      .set(bearer(user.accessToken));
    expect(res.status).toBe(200);
    expect(res.body.total).toBe(1);
    expect(res.body.data[0]).toMatchObject({
      number: 1,
      active: true,
      incidentId: null,
      config: { safetyThreshold: 80, piiMode: 'off', defaultModel: null, systemPrompt: null },
    });
    expect((await ingest(project)).body.configVersion).toBe(1);
  });

  it('should create an inactive version from a partial change, with its diff against the previous one', async () => {
    const { user, project } = await setup();
    const created = await createVersion(user, project, { model: 'gpt-4o-mini', temperature: 0.2 }, 'cheaper');
    expect(created.status).toBe(201);
    expect(created.body.version).toMatchObject({
      number: 2,
      active: false,
      message: 'cheaper',
      createdBy: user.id,
      config: { model: 'gpt-4o-mini', temperature: 0.2, safetyThreshold: 80 },
    });
    const got = await request(ctx.app)
      .get(`${base(project)}/config-versions/2`)
      .set(bearer(user.accessToken));
    expect(got.status).toBe(200);
    expect(got.body.version.diff).toEqual([
      { field: 'model', from: null, to: 'gpt-4o-mini' },
      { field: 'temperature', from: null, to: 0.2 },
    ]);
    // not active until activated
    const call = await ingest(project);
    expect(call.body).toMatchObject({ configVersion: 1, effectiveModel: 'gpt-4o' });
  });

  it('should answer and store calls with the activated version, and roll back to an older one', async () => {
    const { user, project } = await setup();
    await createVersion(user, project, { model: 'gpt-4o-mini', systemPrompt: 'Be brief.' }).expect(201);
    const act = await activate(user, project, 2);
    expect(act.status).toBe(200);
    expect(act.body.version).toMatchObject({ number: 2, active: true });

    const after = await ingest(project);
    expect(after.status).toBe(201);
    expect(after.body).toMatchObject({ configVersion: 2, effectiveModel: 'gpt-4o-mini', systemPrompt: 'Be brief.' });
    const row = await ctx.prisma.llmRequest.findUniqueOrThrow({ where: { id: after.body.id } });
    expect(row).toMatchObject({ configVersion: 2, model: 'gpt-4o', effectiveModel: 'gpt-4o-mini' });
    const settings = await request(ctx.app)
      .get(`/api/v1/settings/project?projectId=${project.id}`)
      .set(bearer(user.accessToken));
    expect(settings.body.project.systemPrompt).toBe('Be brief.');

    await activate(user, project, 1).expect(200);
    const back = await ingest(project);
    expect(back.body).toMatchObject({ configVersion: 1, effectiveModel: 'gpt-4o', systemPrompt: null });
    const list = await request(ctx.app)
      .get(`${base(project)}/config-versions`)
      .set(bearer(user.accessToken));
    expect(list.body.data.map((v: { number: number; active: boolean }) => [v.number, v.active])).toEqual([
      [2, false],
      [1, true],
    ]);
    const audit = await ctx.prisma.auditLog.findMany({
      where: { targetId: project.id, action: { startsWith: 'config_version.' } },
      orderBy: { id: 'asc' },
    });
    expect(audit.map((a) => [a.action, (a.metadata as { version: number }).version, a.actorId])).toEqual([
      ['config_version.create', 2, user.id],
      ['config_version.activate', 2, user.id],
      ['config_version.activate', 1, user.id],
    ]);
  });

  it('should turn the settings endpoints into new active versions', async () => {
    const { user, project } = await setup();
    await request(ctx.app)
      .post(`/api/v1/settings/project?projectId=${project.id}`)
      .set(bearer(user.accessToken))
      .send({ safetyThreshold: 55, name: 'renamed' })
      .expect(200);
    await request(ctx.app)
      .post(`/api/v1/settings/model-settings?projectId=${project.id}`)
      .set(bearer(user.accessToken))
      .send({ allowedModels: ['gpt-4o'], fallbackModel: 'gpt-4o' })
      .expect(200);
    // a change of the name alone is not a config change
    await request(ctx.app)
      .post(`/api/v1/settings/project?projectId=${project.id}`)
      .set(bearer(user.accessToken))
      .send({ description: 'just words' })
      .expect(200);
    const list = await request(ctx.app)
      .get(`${base(project)}/config-versions`)
      .set(bearer(user.accessToken));
    expect(list.body.total).toBe(3);
    expect(list.body.data[0]).toMatchObject({
      number: 3,
      active: true,
      config: { safetyThreshold: 55, allowedModels: ['gpt-4o'], fallbackModel: 'gpt-4o' },
    });
    const v2 = await request(ctx.app)
      .get(`${base(project)}/config-versions/2`)
      .set(bearer(user.accessToken));
    expect(v2.body.version.diff).toEqual([{ field: 'safetyThreshold', from: 80, to: 55 }]);
    const call = await ingest(project, { model: 'claude-3' });
    expect(call.body).toMatchObject({ configVersion: 3, effectiveModel: 'gpt-4o' });
    // rolling back to 1 restores the settings the endpoints show
    await activate(user, project, 1).expect(200);
    const models = await request(ctx.app)
      .get(`/api/v1/settings/model-settings?projectId=${project.id}`)
      .set(bearer(user.accessToken));
    expect(models.body.modelSettings).toMatchObject({ allowedModels: null, fallbackModel: null });
  });

  it('should keep every version and one consistent winner under concurrent creates and activations', async () => {
    const { user, project } = await setup();
    const creates = await Promise.all(
      Array.from({ length: 12 }, (_, i) => createVersion(user, project, { systemPrompt: `prompt ${i}` })),
    );
    expect(creates.map((r) => r.status)).toEqual(Array(12).fill(201));
    const numbers = creates.map((r) => r.body.version.number as number).sort((a, b) => a - b);
    expect(numbers).toEqual(Array.from({ length: 12 }, (_, i) => i + 2));

    const activations = await Promise.all(numbers.map((n) => activate(user, project, n)));
    expect(activations.map((r) => r.status)).toEqual(Array(12).fill(200));
    const row = await ctx.prisma.project.findUniqueOrThrow({ where: { id: project.id } });
    const winner = await ctx.prisma.projectConfigVersion.findUniqueOrThrow({
      where: { projectId_number: { projectId: project.id, number: row.activeConfigVersion! } },
    });
    // the columns hold exactly the winner's config: no mix of two activations
    expect(row.systemPrompt).toBe((winner.config as { systemPrompt: string }).systemPrompt);
    expect(await ctx.prisma.projectConfigVersion.count({ where: { projectId: project.id } })).toBe(13);
    expect(
      await ctx.prisma.auditLog.count({ where: { targetId: project.id, action: 'config_version.activate' } }),
    ).toBe(12);
  });

  it('should refuse bad input with 400 and unknown versions with 404', async () => {
    const { user, project } = await setup();
    const bad = await createVersion(user, project, { safetyThreshold: 300 });
    expect(bad.status).toBe(400);
    expect(bad.body.error.code).toBe('VALIDATION_ERROR');
    const unknownField = await createVersion(user, project, { modle: 'gpt-4o' });
    expect(unknownField.status).toBe(400);
    const missing = await activate(user, project, 99);
    expect(missing.status).toBe(404);
    expect(missing.body.error.code).toBe('NOT_FOUND');
    const notANumber = await request(ctx.app)
      .get(`${base(project)}/config-versions/abc`)
      .set(bearer(user.accessToken));
    expect(notANumber.status).toBe(400);
  });

  it("should answer 404 for another tenant's versions and split, and change nothing", async () => {
    const { project } = await setup();
    const other = await registerUser(ctx.app);
    const auth = bearer(other.accessToken);
    const calls = [
      request(ctx.app)
        .get(`${base(project)}/config-versions`)
        .set(auth),
      request(ctx.app)
        .get(`${base(project)}/config-versions/1`)
        .set(auth),
      request(ctx.app)
        .post(`${base(project)}/config-versions`)
        .set(auth)
        .send({ config: { model: 'x' } }),
      request(ctx.app)
        .post(`${base(project)}/config-versions/1/activate`)
        .set(auth)
        .send(),
      request(ctx.app)
        .put(`${base(project)}/config-split`)
        .set(auth)
        .send({
          arms: [
            { version: 1, weight: 50 },
            { version: 2, weight: 50 },
          ],
        }),
      request(ctx.app)
        .delete(`${base(project)}/config-split`)
        .set(auth),
      request(ctx.app)
        .post(`${base(project)}/config-split/promote`)
        .set(auth)
        .send({ version: 1 }),
    ];
    for (const res of await Promise.all(calls)) {
      expect(res.status).toBe(404);
      expect(res.body.error.code).toBe('NOT_FOUND');
    }
    expect(await ctx.prisma.projectConfigVersion.count({ where: { projectId: project.id } })).toBe(1);
  });
});
