import request from 'supertest';
import { beforeAll, describe, expect, it } from 'vitest';
import { eventually } from '../helpers/eventually.js';
import {
  bearer,
  createProject,
  registerUser,
  upgradeUser,
  type TestProject,
  type TestUser,
} from '../helpers/factories.js';
import { useTestApp } from '../helpers/testApp.js';

const ctx = useTestApp({ openai: null });
let user: TestUser;
let other: TestUser;

beforeAll(async () => {
  user = await registerUser(ctx.app);
  other = await registerUser(ctx.app);
  await upgradeUser(ctx.prisma, user.id);
});

const post = (key: string, over: Record<string, unknown> = {}) =>
  request(ctx.app)
    .post('/api/v1/llm/request')
    .set('X-API-Key', key)
    .send({
      model: 'gpt-4o',
      prompt: 'Summarise the report',
      latencyMs: 300,
      endpoint: 'chat',
      userId: 'u-1',
      ...over,
    });

async function latencyIncident(p: TestProject) {
  await post(p.apiKey, { latencyMs: 9_000 });
  return eventually(async () => ctx.prisma.incident.findFirst({ where: { projectId: p.id, type: 'latency' } }));
}

const api = (token = user.accessToken) => ({
  get: (path: string) => request(ctx.app).get(`/api/v1${path}`).set(bearer(token)),
  post: (path: string, body: object = {}) => request(ctx.app).post(`/api/v1${path}`).set(bearer(token)).send(body),
});

describe('incident API', () => {
  it('should list with filters and pagination, and 404 for another user', async () => {
    const p = await createProject(ctx.app, user);
    const incident = await latencyIncident(p);
    await ctx.prisma.incident.create({
      data: {
        projectId: p.id,
        type: 'external',
        severity: 'critical',
        title: 'DB down',
        status: 'resolved',
        openKey: null,
      },
    });
    const all = await api().get(`/incidents?projectId=${p.id}`);
    expect(all.status).toBe(200);
    expect(all.body).toMatchObject({ page: 1, limit: 20, total: 2 });
    expect(
      (await api().get(`/incidents?projectId=${p.id}&status=open`)).body.data.map((i: { id: string }) => i.id),
    ).toEqual([incident.id]);
    expect((await api().get(`/incidents?projectId=${p.id}&severity=critical`)).body.total).toBe(1);
    expect((await api().get(`/incidents?projectId=${p.id}&type=latency`)).body.total).toBe(1);
    expect((await api().get(`/incidents?projectId=${p.id}&limit=1&page=2`)).body.data).toHaveLength(1);
    expect((await api().get(`/incidents?projectId=${p.id}&type=bogus`)).status).toBe(400);
    expect((await api(other.accessToken).get(`/incidents?projectId=${p.id}`)).status).toBe(404);
  });

  it('should show the detail with RCA, related requests and remediations', async () => {
    const p = await createProject(ctx.app, user);
    const incident = await latencyIncident(p);
    await eventually(async () => (await ctx.prisma.incident.findUnique({ where: { id: incident.id } }))?.rca);
    const res = await api().get(`/incidents/${incident.id}`);
    expect(res.status).toBe(200);
    expect(res.body.incident).toMatchObject({
      id: incident.id,
      type: 'latency',
      rca: {
        source: 'fallback',
        rootCause: expect.any(String),
        recommendedFix: expect.any(String),
        severity: expect.any(String),
      },
    });
    expect(res.body.incident.relatedRequests.length).toBeGreaterThanOrEqual(1);
    expect(res.body.incident.relatedRequests[0]).toMatchObject({ latencyMs: 9000 });
    expect(res.body.incident.remediations).toEqual([]);
    expect((await api(other.accessToken).get(`/incidents/${incident.id}`)).status).toBe(404);
    expect((await api().get('/incidents/unknown')).status).toBe(404);
  });

  it('should resolve once with who, when and note, audit-logged', async () => {
    const p = await createProject(ctx.app, user);
    const incident = await latencyIncident(p);
    expect((await api(other.accessToken).post(`/incidents/${incident.id}/resolve`)).status).toBe(404);
    const res = await api().post(`/incidents/${incident.id}/resolve`, { note: 'CDN fixed' });
    expect(res.status).toBe(200);
    expect(res.body.incident).toMatchObject({
      status: 'resolved',
      resolvedById: user.id,
      resolutionNote: 'CDN fixed',
      resolvedAt: expect.any(String),
    });
    expect((await api().post(`/incidents/${incident.id}/resolve`)).status).toBe(409);
    expect(await ctx.prisma.auditLog.count({ where: { action: 'incident.resolve', targetId: incident.id } })).toBe(1);
    // the next slow call opens a new incident
    await post(p.apiKey, { latencyMs: 9_000 });
    await eventually(
      async () => (await ctx.prisma.incident.count({ where: { projectId: p.id, type: 'latency' } })) === 2,
    );
  });

  it('should regenerate the RCA on demand', async () => {
    const p = await createProject(ctx.app, user);
    const incident = await latencyIncident(p);
    const res = await api().post(`/incidents/${incident.id}/rca`);
    expect(res.status).toBe(200);
    expect(res.body.incident.rca.source).toBe('fallback');
  });
});

describe('remediations', () => {
  async function setup() {
    const p = await createProject(ctx.app, user);
    const incident = await latencyIncident(p);
    const apply = (body: object) => api().post(`/incidents/${incident.id}/apply-remediation`, body);
    return { p, incident, apply };
  }

  it('should validate parameters per action and change nothing on 400', async () => {
    const { p, apply } = await setup();
    for (const body of [
      { action: 'switch_model', params: {} },
      { action: 'increase_safety_threshold', params: { threshold: 101 } },
      { action: 'disable_endpoint', params: { endpoint: '' } },
      { action: 'rate_limit_user', params: { userId: 'x', limit: 0, windowSeconds: 10 } },
      { action: 'explode', params: {} },
      { action: 'switch_model', params: { to: 'x' }, expiresAt: new Date(Date.now() - 1000).toISOString() },
    ]) {
      const res = await apply(body);
      expect(res.status, JSON.stringify(body)).toBe(400);
    }
    expect(await ctx.prisma.remediationAction.count({ where: { projectId: p.id } })).toBe(0);
  });

  it('should enforce switch_model on the very next request and record who applied it', async () => {
    const { p, incident, apply } = await setup();
    const res = await apply({ action: 'switch_model', params: { to: 'gpt-4o-mini' } });
    expect(res.status).toBe(201);
    expect(res.body.remediation).toMatchObject({
      action: 'switch_model',
      status: 'active',
      appliedById: user.id,
      incidentId: incident.id,
    });
    expect((await post(p.apiKey)).body.effectiveModel).toBe('gpt-4o-mini');
    const history = await api().get(`/incidents/${incident.id}/remediations`);
    expect(history.body.data).toHaveLength(1);
  });

  it('should enforce every action and revert each', async () => {
    const { p, incident, apply } = await setup();
    const cases: [object, (r: request.Response) => void][] = [
      [
        { action: 'change_system_prompt', params: { systemPrompt: 'Be safe.' } },
        (r) => expect(r.body.systemPrompt).toBe('Be safe.'),
      ],
      [{ action: 'increase_safety_threshold', params: { threshold: 0 } }, (r) => expect(r.body.decision).toBe('block')],
      [{ action: 'disable_endpoint', params: { endpoint: 'chat' } }, (r) => expect(r.status).toBe(403)],
    ];
    for (const [body, check] of cases) {
      const applied = await apply(body);
      expect(applied.status).toBe(201);
      check(await post(p.apiKey));
      const reverted = await api().post(`/incidents/${incident.id}/remediations/${applied.body.remediation.id}/revert`);
      expect(reverted.status).toBe(200);
      expect(reverted.body.remediation.status).toBe('reverted');
      const after = await post(p.apiKey);
      expect(after.status).toBe(201);
      expect(after.body).toMatchObject({ systemPrompt: null, decision: 'allow' });
    }
    expect(
      await ctx.prisma.auditLog.count({
        where: { action: 'remediation.revert', metadata: { path: ['incidentId'], equals: incident.id } },
      }),
    ).toBe(3);
  });

  it('should rate-limit one end user with 429 USER_RATE_LIMITED and Retry-After', async () => {
    const { p, apply } = await setup();
    await apply({ action: 'rate_limit_user', params: { userId: 'u-1', limit: 1, windowSeconds: 60 } });
    expect((await post(p.apiKey)).status).toBe(201);
    const limited = await post(p.apiKey);
    expect(limited.status).toBe(429);
    expect(limited.body.error.code).toBe('USER_RATE_LIMITED');
    expect(limited.headers['retry-after']).toBeDefined();
    expect((await post(p.apiKey, { userId: 'u-2' })).status).toBe(201);
  });

  it('should revert by itself at expiresAt', async () => {
    const { p, apply } = await setup();
    await apply({
      action: 'disable_endpoint',
      params: { endpoint: 'chat' },
      expiresAt: new Date(Date.now() + 1000).toISOString(),
    });
    expect((await post(p.apiKey)).status).toBe(403);
    await new Promise((r) => setTimeout(r, 1100));
    expect((await post(p.apiKey)).status).toBe(201);
    const { expireRemediations } = await import('../../src/services/incidents/remediationService.js');
    expect(await expireRemediations(ctx.prisma)).toBeGreaterThanOrEqual(1);
    expect((await ctx.prisma.remediationAction.findFirst({ where: { projectId: p.id } }))?.status).toBe('expired');
  });

  it('should reset settings to defaults, end active remediations, and restore them on revert', async () => {
    const { p, incident, apply } = await setup();
    await api().post(`/settings/project?projectId=${p.id}`, { safetyThreshold: 40, systemPrompt: 'Custom.' });
    await apply({ action: 'switch_model', params: { to: 'gpt-4o-mini' } });
    const reset = await apply({ action: 'reset_settings', params: {} });
    expect(reset.status).toBe(201);
    const after = await post(p.apiKey);
    expect(after.body).toMatchObject({ effectiveModel: 'gpt-4o', systemPrompt: null });
    const project = await ctx.prisma.project.findUniqueOrThrow({ where: { id: p.id } });
    expect(project).toMatchObject({ safetyThreshold: 80, systemPrompt: null });
    expect(
      await ctx.prisma.remediationAction.count({
        where: { projectId: p.id, action: 'switch_model', status: 'reverted' },
      }),
    ).toBe(1);
    await api().post(`/incidents/${incident.id}/remediations/${reset.body.remediation.id}/revert`);
    expect(await ctx.prisma.project.findUniqueOrThrow({ where: { id: p.id } })).toMatchObject({
      safetyThreshold: 40,
      systemPrompt: 'Custom.',
    });
  });

  it('should 404 another user applying or reverting', async () => {
    const { incident } = await setup();
    expect(
      (
        await api(other.accessToken).post(`/incidents/${incident.id}/apply-remediation`, {
          action: 'reset_settings',
          params: {},
        })
      ).status,
    ).toBe(404);
    expect((await api(other.accessToken).get(`/incidents/${incident.id}/remediations`)).status).toBe(404);
  });
});

describe('end to end', () => {
  it('latency spike -> incident -> RCA -> disable_endpoint -> next call 403 -> revert -> 201', async () => {
    const p = await createProject(ctx.app, user);
    const incident = await latencyIncident(p);
    const withRca = await eventually(async () => {
      const i = await ctx.prisma.incident.findUnique({ where: { id: incident.id } });
      return i?.rca ? i : null;
    });
    expect(withRca.rca).toMatchObject({ source: 'fallback' });
    const applied = await api().post(`/incidents/${incident.id}/apply-remediation`, {
      action: 'disable_endpoint',
      params: { endpoint: 'chat' },
    });
    const blocked = await post(p.apiKey);
    expect(blocked.status).toBe(403);
    expect(blocked.body.error.code).toBe('ENDPOINT_DISABLED');
    await api().post(`/incidents/${incident.id}/remediations/${applied.body.remediation.id}/revert`);
    expect((await post(p.apiKey)).status).toBe(201);
  });
});
