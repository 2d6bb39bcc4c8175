import request from 'supertest';
import { describe, expect, it } from 'vitest';
import { decryptSecret } from '../../src/utils/crypto.js';
import { bearer, createProject, registerUser } from '../helpers/factories.js';
import { useTestApp } from '../helpers/testApp.js';

const ctx = useTestApp();
const appCache = () => ctx.keyCache;

async function setup() {
  const user = await registerUser(ctx.app);
  const project = await createProject(ctx.app, user);
  return { user, project, q: `?projectId=${project.id}` };
}

describe('/settings/project', () => {
  it('should return the defaults', async () => {
    const { user, q } = await setup();
    const res = await request(ctx.app).get(`/api/v1/settings/project${q}`).set(bearer(user.accessToken));
    expect(res.status).toBe(200);
    expect(res.body.project).toMatchObject({
      safetyThreshold: 80,
      piiMode: 'off',
      defaultModel: null,
      systemPrompt: null,
      datadogWebhookSecret: null,
    });
  });

  it('should update settings, store the Datadog secret encrypted and show it masked', async () => {
    const { user, project, q } = await setup();
    const secret = 'dd-secret-0123456789abcdef';
    const res = await request(ctx.app).post(`/api/v1/settings/project${q}`).set(bearer(user.accessToken)).send({
      safetyThreshold: 55,
      piiMode: 'redact',
      defaultModel: 'gpt-4o-mini',
      systemPrompt: 'Be brief.',
      datadogWebhookSecret: secret,
      alertWebhookUrl: 'https://hooks.example.com/x',
    });
    expect(res.status).toBe(200);
    expect(res.body.project).toMatchObject({
      safetyThreshold: 55,
      piiMode: 'redact',
      defaultModel: 'gpt-4o-mini',
      systemPrompt: 'Be brief.',
      alertWebhookUrl: 'https://hooks.example.com/x',
    });
    expect(res.body.project.datadogWebhookSecret).toBe('••••cdef');
    expect(JSON.stringify(res.body)).not.toContain(secret);
    const row = await ctx.prisma.project.findUniqueOrThrow({ where: { id: project.id } });
    expect(row.datadogWebhookSecretEnc).not.toContain(secret);
    expect(decryptSecret(row.datadogWebhookSecretEnc!)).toBe(secret);
    expect(
      await ctx.prisma.auditLog.count({ where: { action: 'project.settings_update', targetId: project.id } }),
    ).toBe(1);
  });

  it('should take effect on the next request: the cached project context is invalidated', async () => {
    const { user, project, q } = await setup();
    expect((await appCache().projectContext(project.id))?.safetyThreshold).toBe(80);
    await request(ctx.app)
      .post(`/api/v1/settings/project${q}`)
      .set(bearer(user.accessToken))
      .send({ safetyThreshold: 30 });
    expect((await appCache().projectContext(project.id))?.safetyThreshold).toBe(30);
  });

  it.each([
    [{ safetyThreshold: 101 }, 'safetyThreshold'],
    [{ safetyThreshold: -1 }, 'safetyThreshold'],
    [{ piiMode: 'maybe' }, 'piiMode'],
    [{ alertWebhookUrl: 'ftp://x.example.com' }, 'alertWebhookUrl'],
    [{ datadogWebhookSecret: 'short' }, 'datadogWebhookSecret'],
    [{ unknownField: 1 }, ''],
  ])('should reject %j with 400 and change nothing', async (body, path) => {
    const { user, project, q } = await setup();
    const res = await request(ctx.app).post(`/api/v1/settings/project${q}`).set(bearer(user.accessToken)).send(body);
    expect(res.status).toBe(400);
    expect(res.body.error.code).toBe('VALIDATION_ERROR');
    if (path) expect(res.body.error.details[0].path).toBe(path);
    const row = await ctx.prisma.project.findUniqueOrThrow({ where: { id: project.id } });
    expect(row.safetyThreshold).toBe(80);
  });

  it('should require projectId', async () => {
    const { user } = await setup();
    expect((await request(ctx.app).get('/api/v1/settings/project').set(bearer(user.accessToken))).status).toBe(400);
  });
});

describe('/settings/api-keys and /settings/model-settings', () => {
  it('should list the project keys', async () => {
    const { user, project, q } = await setup();
    const res = await request(ctx.app).get(`/api/v1/settings/api-keys${q}`).set(bearer(user.accessToken));
    expect(res.status).toBe(200);
    expect(res.body.data.map((k: { id: string }) => k.id)).toEqual([project.apiKeyId]);
  });

  it('should read and merge model settings', async () => {
    const { user, project, q } = await setup();
    const empty = await request(ctx.app).get(`/api/v1/settings/model-settings${q}`).set(bearer(user.accessToken));
    expect(empty.body.modelSettings).toEqual({ allowedModels: null, fallbackModel: null, priceOverrides: null });
    const set = await request(ctx.app)
      .post(`/api/v1/settings/model-settings${q}`)
      .set(bearer(user.accessToken))
      .send({
        allowedModels: ['gpt-4o', 'gpt-4o-mini'],
        priceOverrides: { 'gpt-4o': { inputPerMTok: 2, outputPerMTok: 8 } },
      });
    expect(set.status).toBe(200);
    const merged = await request(ctx.app)
      .post(`/api/v1/settings/model-settings${q}`)
      .set(bearer(user.accessToken))
      .send({ fallbackModel: 'gpt-4o-mini' });
    expect(merged.body.modelSettings).toEqual({
      allowedModels: ['gpt-4o', 'gpt-4o-mini'],
      fallbackModel: 'gpt-4o-mini',
      priceOverrides: { 'gpt-4o': { inputPerMTok: 2, outputPerMTok: 8 } },
    });
    expect((await appCache().projectContext(project.id))?.modelSettings).toMatchObject({
      fallbackModel: 'gpt-4o-mini',
    });
  });

  it('should reject a negative price override', async () => {
    const { user, q } = await setup();
    const res = await request(ctx.app)
      .post(`/api/v1/settings/model-settings${q}`)
      .set(bearer(user.accessToken))
      .send({ priceOverrides: { 'gpt-4o': { inputPerMTok: -1, outputPerMTok: 8 } } });
    expect(res.status).toBe(400);
  });
});
