/**
 * A remediation that changes the configuration is a config version tagged with its incident;
 * reverting it (or its expiry) rolls back to the version before, unless the configuration has
 * changed again since.
 */
import { randomBytes } from 'node:crypto';
import request from 'supertest';
import { describe, expect, it } from 'vitest';
import { expireRemediations } from '../../src/services/incidents/remediationService.js';
import { bearer, createProject, registerUser, type TestProject, type TestUser } from '../helpers/factories.js';
import { useTestApp } from '../helpers/testApp.js';

const ctx = useTestApp({ openai: null });

async function setup() {
  const user = await registerUser(ctx.app);
  const project = await createProject(ctx.app, user);
  const incident = await ctx.prisma.incident.create({
    data: {
      projectId: project.id,
      type: 'latency',
      severity: 'high',
      title: 'p95 latency 4 s',
      openKey: `latency:${randomBytes(4).toString('hex')}`,
    },
  });
  return { user, project, incidentId: incident.id };
}

const ingest = (project: TestProject, model = 'gpt-4o') =>
  request(ctx.app)
    .post('/api/v1/llm/request')
    .set('X-API-Key', project.apiKey)
    .send({ model, prompt: 'hello', latencyMs: 10 });

const apply = (user: TestUser, incidentId: string, body: object) =>
  request(ctx.app).post(`/api/v1/incidents/${incidentId}/apply-remediation`).set(bearer(user.accessToken)).send(body);

const revert = (user: TestUser, incidentId: string, id: string) =>
  request(ctx.app)
    .post(`/api/v1/incidents/${incidentId}/remediations/${id}/revert`)
    .set(bearer(user.accessToken))
    .send();

const active = async (projectId: string) =>
  (await ctx.prisma.project.findUniqueOrThrow({ where: { id: projectId } })).activeConfigVersion;

describe('remediations as config versions', () => {
  it('should create a version tagged with the incident, and roll back to the one before on revert', async () => {
    const { user, project, incidentId } = await setup();
    const res = await apply(user, incidentId, { action: 'switch_model', params: { to: 'gpt-4o-mini' } });
    expect(res.status).toBe(201);
    expect(res.body.remediation.params).toMatchObject({ to: 'gpt-4o-mini', configVersion: 2, previousVersion: 1 });
    const version = await request(ctx.app)
      .get(`/api/v1/projects/${project.id}/config-versions/2`)
      .set(bearer(user.accessToken));
    expect(version.body.version).toMatchObject({
      active: true,
      incidentId,
      remediationId: res.body.remediation.id,
      diff: [{ field: 'model', from: null, to: 'gpt-4o-mini' }],
    });
    expect((await ingest(project)).body).toMatchObject({ configVersion: 2, effectiveModel: 'gpt-4o-mini' });

    const back = await revert(user, incidentId, res.body.remediation.id);
    expect(back.status).toBe(200);
    expect(await active(project.id)).toBe(1);
    expect((await ingest(project)).body).toMatchObject({ configVersion: 1, effectiveModel: 'gpt-4o' });
    const audit = await ctx.prisma.auditLog.findFirstOrThrow({
      where: { action: 'remediation.revert', targetId: res.body.remediation.id },
    });
    expect(audit.metadata).toMatchObject({ rolledBackTo: 1 });
  });

  it('should version a model switch limited to one model as a route, and thresholds and prompts as fields', async () => {
    const { user, project, incidentId } = await setup();
    await apply(user, incidentId, { action: 'switch_model', params: { from: 'gpt-4o', to: 'gpt-4o-mini' } }).expect(
      201,
    );
    await apply(user, incidentId, { action: 'increase_safety_threshold', params: { threshold: 30 } }).expect(201);
    await apply(user, incidentId, {
      action: 'change_system_prompt',
      params: { systemPrompt: 'Refuse secrets.' },
    }).expect(201);
    const v4 = await ctx.prisma.projectConfigVersion.findUniqueOrThrow({
      where: { projectId_number: { projectId: project.id, number: 4 } },
    });
    expect(v4.config).toMatchObject({
      modelRoutes: { 'gpt-4o': 'gpt-4o-mini' },
      safetyThreshold: 30,
      systemPrompt: 'Refuse secrets.',
    });
    expect((await ingest(project, 'gpt-4o')).body).toMatchObject({ effectiveModel: 'gpt-4o-mini', configVersion: 4 });
    expect((await ingest(project, 'claude-3')).body).toMatchObject({ effectiveModel: 'claude-3' });
  });

  it('should leave a later configuration alone when an older remediation is reverted', async () => {
    const { user, project, incidentId } = await setup();
    const res = await apply(user, incidentId, { action: 'change_system_prompt', params: { systemPrompt: 'Be safe.' } });
    await request(ctx.app)
      .post(`/api/v1/projects/${project.id}/config-versions`)
      .set(bearer(user.accessToken))
      .send({ config: { temperature: 0.1 }, activate: true })
      .expect(201);
    expect(await active(project.id)).toBe(3);
    await revert(user, incidentId, res.body.remediation.id).expect(200);
    expect(await active(project.id)).toBe(3);
  });

  it('should not version remediations that do not change the configuration', async () => {
    const { user, project, incidentId } = await setup();
    const res = await apply(user, incidentId, { action: 'disable_endpoint', params: { endpoint: 'chat' } });
    expect(res.status).toBe(201);
    expect(res.body.remediation.params.configVersion).toBeUndefined();
    expect(await ctx.prisma.projectConfigVersion.count({ where: { projectId: project.id } })).toBe(1);
  });

  it('should roll back the version of a remediation that expires', async () => {
    const { user, project, incidentId } = await setup();
    const res = await apply(user, incidentId, {
      action: 'increase_safety_threshold',
      params: { threshold: 20 },
      expiresAt: new Date(Date.now() + 60_000).toISOString(),
    });
    expect(res.status).toBe(201);
    expect(await active(project.id)).toBe(2);
    expect(await expireRemediations(ctx.prisma, new Date(Date.now() + 120_000))).toBeGreaterThanOrEqual(1);
    const row = await ctx.prisma.project.findUniqueOrThrow({ where: { id: project.id } });
    expect(row).toMatchObject({ activeConfigVersion: 1, safetyThreshold: 80 });
  });
});
