/**
 * A second user must get 404 on every project, key and settings route of the first user's
 * project, and nothing may change. The route list is taken from the projects and settings
 * routers, so a new route with a project id is covered here automatically.
 */
import request from 'supertest';
import { beforeAll, describe, expect, it } from 'vitest';
import { bearer, createProject, registerUser, type TestProject, type TestUser } from '../helpers/factories.js';
import { listRoutes } from '../helpers/routes.js';
import { useTestApp } from '../helpers/testApp.js';

const ctx = useTestApp();
let owner: TestUser;
let intruder: TestUser;
let project: TestProject;

beforeAll(async () => {
  owner = await registerUser(ctx.app);
  intruder = await registerUser(ctx.app);
  project = await createProject(ctx.app, owner);
});

type Call = { method: 'get' | 'post' | 'put' | 'delete'; path: string; body?: object };

/** Every route that names a project, from the app's route table. */
function projectRoutes(): Call[] {
  return listRoutes(ctx.app)
    .filter(
      (r) =>
        r.path.includes('/projects/:id') ||
        (r.path.startsWith('/api/v1/settings/') && r.path !== '/api/v1/settings/profile'),
    )
    .map((r) => ({ method: r.method as Call['method'], path: r.path }));
}

function concrete(call: Call): Call {
  const path = call.path
    .replace(':id', project.id)
    .replace(/:(n|version)\b/g, '1')
    .replace(':providerId', '00000000-0000-7000-8000-000000000000');
  const withQuery = path.startsWith('/api/v1/settings/') ? `${path}?projectId=${project.id}` : path;
  const bodies: Record<string, object> = {
    '/api-keys/create': { name: 'x' },
    '/api-keys/rotate': { apiKeyId: project.apiKeyId },
    '/api-keys/delete': { apiKeyId: project.apiKeyId },
    '/settings/project': { safetyThreshold: 1, name: 'hijacked' },
    '/settings/model-settings': { fallbackModel: 'evil' },
    // valid bodies, so the routes answer on ownership and not on validation
    '/config-versions': { config: { safetyThreshold: 1 }, message: 'hijacked' },
    '/config-split': { arms: [{ version: 1, weight: 50 }, { version: 2, weight: 50 }] },
    '/config-split/promote': { version: 1 },
    '/providers': { name: 'intruder', kind: 'openai', baseUrl: 'https://api.openai.com/v1', apiKey: 'sk-intruder-0000' },
    '/rotate': { apiKey: 'sk-intruder-0001' },
    '/guard/check': { projectId: project.id, prompt: 'hello' },
  };
  const body = Object.entries(bodies).find(([suffix]) => path.endsWith(suffix))?.[1];
  const withBody = call.method === 'post' || call.method === 'put';
  return { ...call, path: withQuery, body: withBody ? (body ?? {}) : undefined };
}

describe('project tenant isolation', () => {
  it('should find the project routes to check', () => {
    const paths = projectRoutes().map((c) => `${c.method} ${c.path}`);
    expect(paths).toEqual(
      expect.arrayContaining([
        'get /api/v1/projects/:id',
        'delete /api/v1/projects/:id',
        'post /api/v1/projects/:id/api-keys/rotate',
        'get /api/v1/settings/project',
        'post /api/v1/settings/model-settings',
      ]),
    );
  });

  it('should answer 404 to another user on every project route and change nothing', async () => {
    const before = await snapshot();
    for (const call of projectRoutes().map(concrete)) {
      const res = await request(ctx.app)[call.method](call.path).set(bearer(intruder.accessToken)).send(call.body);
      expect({ route: `${call.method} ${call.path}`, status: res.status, code: res.body.error?.code }).toEqual({
        route: `${call.method} ${call.path}`,
        status: 404,
        code: 'NOT_FOUND',
      });
    }
    expect(await snapshot()).toEqual(before);
    expect((await request(ctx.app).get('/api/v1/llm/whoami').set('X-API-Key', project.apiKey)).status).toBe(200);
  });

  it('should answer 401 without credentials on every project route', async () => {
    for (const call of projectRoutes().map(concrete)) {
      const res = await request(ctx.app)[call.method](call.path).send(call.body);
      expect(res.status).toBe(401);
    }
  });

  it('should not list the project for another user', async () => {
    const res = await request(ctx.app).get('/api/v1/projects').set(bearer(intruder.accessToken));
    expect(res.body.data.map((p: { id: string }) => p.id)).not.toContain(project.id);
  });
});

async function snapshot() {
  const [p, keys] = await Promise.all([
    ctx.prisma.project.findUniqueOrThrow({ where: { id: project.id } }),
    ctx.prisma.apiKey.findMany({ where: { projectId: project.id }, orderBy: { id: 'asc' } }),
  ]);
  return { p: { ...p, updatedAt: p.updatedAt.toISOString() }, keys: keys.map((k) => ({ ...k, lastUsedAt: null })) };
}
