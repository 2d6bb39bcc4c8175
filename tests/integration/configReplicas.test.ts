/**
 * Two server processes on one database: a config version activated through one replica is
 * what the other answers /llm/request with within a second (the project cache is invalidated
 * over PostgreSQL LISTEN/NOTIFY), and a rollback likewise.
 */
import { afterAll, describe, expect, it } from 'vitest';
import { bearer, createProject, registerUser, upgradeUser } from '../helpers/factories.js';
import { spawnServer, waitForServer, type SpawnedServer } from '../helpers/spawnServer.js';
import { useTestApp } from '../helpers/testApp.js';

const ctx = useTestApp({ openai: null });
const servers: SpawnedServer[] = [];
afterAll(async () => {
  for (const s of servers) s.child.kill('SIGTERM');
  await Promise.all(servers.map((s) => s.exited));
});

async function post(server: SpawnedServer, path: string, headers: Record<string, string>, body: object) {
  const res = await fetch(`${server.baseUrl}${path}`, {
    method: 'POST',
    headers: { 'Content-Type': 'application/json', ...headers },
    body: JSON.stringify(body),
  });
  return { status: res.status, body: (await res.json().catch(() => ({}))) as Record<string, unknown> };
}

/** Polls until `check` holds; returns the milliseconds it took, or throws after `timeoutMs`. */
async function until(check: () => Promise<boolean>, timeoutMs: number): Promise<number> {
  const started = Date.now();
  while (!(await check())) {
    if (Date.now() - started > timeoutMs) throw new Error(`not within ${timeoutMs} ms`);
    await new Promise((r) => setTimeout(r, 20));
  }
  return Date.now() - started;
}

describe('config versions across replicas', () => {
  it('should make every replica answer with the activated version within a second', async () => {
    const user = await registerUser(ctx.app);
    await upgradeUser(ctx.prisma, user.id);
    const project = await createProject(ctx.app, user);
    const env = { DATABASE_URL: ctx.databaseUrl, CRON_ENABLED: 'false', LOG_LEVEL: 'warn' };
    for (let i = 0; i < 2; i++) servers.push(await spawnServer(env));
    await Promise.all(servers.map((s) => waitForServer(s)));
    const [a, b] = servers as [SpawnedServer, SpawnedServer];
    const auth = bearer(user.accessToken);
    const ingest = (s: SpawnedServer) =>
      post(s, '/api/v1/llm/request', { 'X-API-Key': project.apiKey }, { model: 'gpt-4o', prompt: 'hi', latencyMs: 5 });

    // replica b has the project's context (version 1) cached
    expect((await ingest(b)).body).toMatchObject({ configVersion: 1, effectiveModel: 'gpt-4o' });
    const created = await post(a, `/api/v1/projects/${project.id}/config-versions`, auth, {
      config: { model: 'gpt-4o-mini' },
    });
    expect(created.status).toBe(201);
    const activated = await post(a, `/api/v1/projects/${project.id}/config-versions/2/activate`, auth, {});
    expect(activated.status).toBe(200);
    const seen = await until(async () => (await ingest(b)).body.configVersion === 2, 1000);
    expect(seen).toBeLessThan(1000);
    expect((await ingest(b)).body.effectiveModel).toBe('gpt-4o-mini');

    // and the rollback through b reaches a
    expect((await ingest(a)).body.configVersion).toBe(2);
    expect((await post(b, `/api/v1/projects/${project.id}/config-versions/1/activate`, auth, {})).status).toBe(200);
    await until(async () => (await ingest(a)).body.configVersion === 1, 1000);
  }, 180_000);
});
