/**
 * Tenant isolation matrix. Every route of the app (from its route table, so new routes are
 * covered without editing this file) is replayed as user A's request with user B's
 * credentials and with none: each must be refused (401/403/404) and change nothing of A's.
 * Routes scoped to the caller alone (register, login, own profile, own lists, billing) must
 * not show any of A's data to B. API keys: B's key never reaches A's project.
 */
import request from 'supertest';
import { beforeAll, describe, expect, it } from 'vitest';
import {
  bearer,
  createProject,
  registerUser,
  upgradeUser,
  type TestProject,
  type TestUser,
} from '../helpers/factories.js';
import { listRoutes, type RouteInfo } from '../helpers/routes.js';
import { useTestApp } from '../helpers/testApp.js';

const ctx = useTestApp({ openai: null });

interface Tenant {
  user: TestUser;
  project: TestProject;
  logId: string;
  incidentId: string;
  remediationId: string;
}
let A: Tenant;
let B: Tenant;

async function tenant(): Promise<Tenant> {
  const user = await registerUser(ctx.app);
  await upgradeUser(ctx.prisma, user.id);
  const project = await createProject(ctx.app, user);
  const log = await request(ctx.app)
    .post('/api/v1/llm/request')
    .set('X-API-Key', project.apiKey)
    .send({ model: 'gpt-4o', prompt: `secret plans of ${user.email}`, latencyMs: 9000, endpoint: 'chat' });
  const incident = await ctx.prisma.incident.create({
    data: {
      projectId: project.id,
      type: 'external',
      severity: 'high',
      title: `incident of ${user.email}`,
      openKey: 'external:x',
    },
  });
  const remediation = await ctx.prisma.remediationAction.create({
    data: { projectId: project.id, incidentId: incident.id, action: 'switch_model', params: { to: 'gpt-4o-mini' } },
  });
  return { user, project, logId: log.body.id, incidentId: incident.id, remediationId: remediation.id };
}

beforeAll(async () => {
  A = await tenant();
  B = await tenant();
});

/** Public routes and routes authenticated by something other than a session. */
const PUBLIC = new Set(['/healthz', '/readyz', '/metrics', '/openapi.json', '/docs']);
/** The public routes, and the docs page's own static files (its script, Swagger UI's assets). */
const isPublic = (path: string) => PUBLIC.has(path) || path.startsWith('/docs/');
const SELF_SCOPED = [
  /^\/api\/v1\/auth\//,
  /^\/api\/v1\/settings\/profile$/,
  /^\/api\/v1\/billing\//,
  /^\/api\/v1\/projects$/,
  /^\/api\/v1\/llm\//,
  /^\/api\/v1\/webhooks\//,
  /^\/api\/v1\/feedback$/,
  /^\/api\/v1\/onboarding(\/|$)/,
];

function concrete(route: RouteInfo, t: Tenant) {
  const path = route.path
    .replace('/projects/:id', `/projects/${t.project.id}`)
    .replace('/incidents/:id', `/incidents/${t.incidentId}`)
    .replace(':rid', t.remediationId)
    .replace('/logs/:id', `/logs/${t.logId}`)
    .replace('/users/:id', `/users/${t.user.id}`)
    .replace(':ip', '203.0.113.5')
    .replace(/:(n|version)\b/g, '1')
    .replace(':providerId', '00000000-0000-7000-8000-000000000000')
    .replace(/:[a-zA-Z]+/g, 'unknown');
  const needsProject =
    /\/(settings\/(project|api-keys|model-settings)|logs|metrics|incidents|flags)$/.test(route.path) ||
    route.path === '/api/v1/metrics/usage';
  const url = needsProject ? `${path}?projectId=${t.project.id}` : path;
  const bodies: [RegExp, object][] = [
    [/apply-remediation$/, { action: 'disable_endpoint', params: { endpoint: 'chat' } }],
    [/api-keys\/(rotate|delete)$/, { apiKeyId: t.project.apiKeyId }],
    [/api-keys\/create$/, { name: 'intruder' }],
    [/settings\/project$/, { name: 'hijacked', safetyThreshold: 1 }],
    [/settings\/model-settings$/, { fallbackModel: 'evil' }],
    [/resolve$/, { note: 'hijacked' }],
    [/users\/:id\/role$/, { role: 'admin' }],
    [/billing\/refunds$/, { invoiceId: 'in_x' }],
    [/config-versions$/, { config: { safetyThreshold: 1 }, message: 'hijacked' }],
    [/config-split$/, { arms: [{ version: 1, weight: 50 }, { version: 2, weight: 50 }] }],
    [/config-split\/promote$/, { version: 1 }],
    [/providers$/, { name: 'intruder', kind: 'openai', baseUrl: 'https://api.openai.com/v1', apiKey: 'sk-intruder-0000' }],
    [/providers\/:providerId\/rotate$/, { apiKey: 'sk-intruder-0001' }],
    [/guard\/check$/, { projectId: t.project.id, prompt: 'hello' }],
  ];
  const body = bodies.find(([re]) => re.test(route.path))?.[1] ?? {};
  return { url, body };
}

async function snapshot(t: Tenant) {
  const [project, keys, incidents, remediations, requests] = await Promise.all([
    ctx.prisma.project.findUnique({ where: { id: t.project.id } }),
    ctx.prisma.apiKey.findMany({
      where: { projectId: t.project.id },
      orderBy: { id: 'asc' },
      select: { id: true, revokedAt: true, expiresAt: true },
    }),
    ctx.prisma.incident.findMany({
      where: { projectId: t.project.id },
      orderBy: { id: 'asc' },
      select: { id: true, status: true, rca: true },
    }),
    ctx.prisma.remediationAction.findMany({
      where: { projectId: t.project.id },
      orderBy: { id: 'asc' },
      select: { id: true, status: true },
    }),
    ctx.prisma.llmRequest.count({ where: { projectId: t.project.id } }),
  ]);
  return { project: { ...project, updatedAt: undefined }, keys, incidents, remediations, requests };
}

const send = (route: RouteInfo, url: string, body: object, token?: string) => {
  const r = request(ctx.app)[route.method](url);
  if (token) r.set(bearer(token));
  return route.method === 'get' || route.method === 'delete' ? r : r.send(body);
};

describe('tenant isolation matrix', () => {
  it('should cover the app routes', () => {
    expect(listRoutes(ctx.app).length).toBeGreaterThan(40);
  });

  it("should refuse every one of A's requests made with B's credentials and change nothing of A's", async () => {
    const before = await snapshot(A);
    const leaks: string[] = [];
    for (const route of listRoutes(ctx.app)) {
      if (isPublic(route.path) || SELF_SCOPED.some((re) => re.test(route.path))) continue;
      const { url, body } = concrete(route, A);
      const res = await send(route, url, body, B.user.accessToken);
      if (![401, 403, 404].includes(res.status)) leaks.push(`${route.method.toUpperCase()} ${url} -> ${res.status}`);
    }
    expect(leaks).toEqual([]);
    expect(await snapshot(A)).toEqual(before);
  });

  it('should answer 401 without credentials on every non-public route and change nothing', async () => {
    const before = await snapshot(A);
    const open: string[] = [];
    for (const route of listRoutes(ctx.app)) {
      if (isPublic(route.path) || /^\/api\/v1\/auth\/(register|login|refresh-token|logout)$/.test(route.path))
        continue;
      const { url, body } = concrete(route, A);
      const res = await send(route, url, body);
      // webhooks authenticate by signature: without one they refuse (400/401, or 503 when unconfigured)
      const expected = /\/webhooks\//.test(route.path) ? [400, 401, 503] : [401];
      if (!expected.includes(res.status)) open.push(`${route.method.toUpperCase()} ${url} -> ${res.status}`);
    }
    expect(open).toEqual([]);
    expect(await snapshot(A)).toEqual(before);
  });

  it("should never show A's data to B on B's own lists", async () => {
    const marker = A.user.email;
    for (const route of listRoutes(ctx.app)) {
      if (route.method !== 'get' || isPublic(route.path) || !SELF_SCOPED.some((re) => re.test(route.path))) continue;
      const res = await request(ctx.app)
        .get(route.path)
        .set(bearer(B.user.accessToken))
        .set('X-API-Key', B.project.apiKey);
      expect(JSON.stringify(res.body)).not.toContain(marker);
      expect(JSON.stringify(res.body)).not.toContain(A.project.id);
    }
  });

  it("should keep B's API key out of A's project", async () => {
    const who = await request(ctx.app).get('/api/v1/llm/whoami').set('X-API-Key', B.project.apiKey);
    expect(who.body.projectId).toBe(B.project.id);
    const before = await snapshot(A);
    const res = await request(ctx.app)
      .post('/api/v1/llm/request')
      .set('X-API-Key', B.project.apiKey)
      .send({ model: 'gpt-4o', prompt: 'x', latencyMs: 1, metadata: { projectId: A.project.id } });
    expect(res.status).toBe(201);
    expect((await ctx.prisma.llmRequest.findUniqueOrThrow({ where: { id: res.body.id } })).projectId).toBe(
      B.project.id,
    );
    expect(await snapshot(A)).toEqual(before);
    // a key is not a dashboard credential
    expect((await request(ctx.app).get(`/api/v1/projects/${B.project.id}`).set(bearer(B.project.apiKey))).status).toBe(
      401,
    );
  });
});
