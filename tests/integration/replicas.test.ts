/**
 * Three server processes on one database and one Redis behave as one service: a rate limit
 * holds across them, an API key deleted through one is refused by the others within a second,
 * a remediation applies everywhere, and each cron job runs once per schedule. Runs when
 * REDIS_URL is set (.ci/run sets it to the machine's Redis).
 */
import { randomBytes } from 'node:crypto';
import { afterAll, describe, expect, it } from 'vitest';
import { bearer, createProject, registerUser, upgradeUser } from '../helpers/factories.js';
import { spawnServer, waitForServer, type SpawnedServer } from '../helpers/spawnServer.js';
import { useTestApp } from '../helpers/testApp.js';

const REDIS_URL = process.env.REDIS_URL;
const ctx = useTestApp({ openai: null });
const servers: SpawnedServer[] = [];
afterAll(async () => {
  for (const s of servers) s.child.kill('SIGTERM');
  await Promise.all(servers.map((s) => s.exited));
});

const KEY_LIMIT = 12;

async function post(server: SpawnedServer, path: string, headers: Record<string, string>, body: object) {
  const res = await fetch(`${server.baseUrl}${path}`, {
    method: 'POST',
    headers: { 'Content-Type': 'application/json', ...headers },
    body: JSON.stringify(body),
  });
  return { status: res.status, body: (await res.json().catch(() => ({}))) as Record<string, unknown> };
}

describe.runIf(REDIS_URL)('three replicas with Redis', () => {
  it('should share rate limits, key revocation, remediations and cron runs', async () => {
    const user = await registerUser(ctx.app);
    await upgradeUser(ctx.prisma, user.id);
    const project = await createProject(ctx.app, user);
    const incident = await ctx.prisma.incident.create({
      data: {
        projectId: project.id,
        type: 'latency',
        severity: 'high',
        title: 'slow',
        openKey: `latency:${randomBytes(4).toString('hex')}`,
      },
    });
    const env = {
      DATABASE_URL: ctx.databaseUrl,
      REDIS_URL: REDIS_URL!,
      API_RATE_LIMIT_PER_KEY: String(KEY_LIMIT),
      CRON_ENABLED: 'true',
      CRON_HEARTBEAT_SCHEDULE: '* * * * * *',
    };
    for (let i = 0; i < 3; i++) servers.push(await spawnServer(env));
    await Promise.all(servers.map((s) => waitForServer(s)));
    const heartbeatFrom = new Date();

    // 1. the per-key limit holds across replicas (shared Redis counter)
    const statuses: number[] = [];
    for (let i = 0; i < KEY_LIMIT + 6; i++) {
      const res = await fetch(`${servers[i % 3]!.baseUrl}/api/v1/llm/whoami`, {
        headers: { 'X-API-Key': project.apiKey },
      });
      statuses.push(res.status);
    }
    expect(statuses.filter((s) => s === 200)).toHaveLength(KEY_LIMIT);
    expect(statuses.filter((s) => s === 429)).toHaveLength(6);

    // 2. a second key, warm on every replica, deleted through replica 0: refused by 1 and 2 within a second
    const created = await post(
      servers[0]!,
      `/api/v1/projects/${project.id}/api-keys/create`,
      bearer(user.accessToken),
      { name: 'shared' },
    );
    const key = (created.body.apiKey as { key: string; id: string }).key;
    const keyId = (created.body.apiKey as { id: string }).id;
    const ingest = (s: SpawnedServer, endpoint = 'chat') =>
      post(s, '/api/v1/llm/request', { 'X-API-Key': key }, { model: 'gpt-4o', prompt: 'hi', latencyMs: 5, endpoint });
    for (const s of servers) expect((await ingest(s)).status).toBe(201);
    const del = await post(servers[0]!, `/api/v1/projects/${project.id}/api-keys/delete`, bearer(user.accessToken), {
      apiKeyId: keyId,
    });
    expect(del.status).toBe(204);
    const deletedAt = Date.now();
    for (const s of servers.slice(1)) {
      let status = 0;
      while (status !== 401 && Date.now() - deletedAt < 1000) status = (await ingest(s)).status;
      expect(status).toBe(401);
    }
    expect(Date.now() - deletedAt).toBeLessThan(1000);

    // 3. a remediation applied through replica 1 is obeyed by replicas 0 and 2 on the next call
    const third = await post(
      servers[1]!,
      `/api/v1/projects/${project.id}/api-keys/create`,
      bearer(user.accessToken),
      {},
    );
    const key3 = (third.body.apiKey as { key: string }).key;
    const call = (s: SpawnedServer) =>
      post(
        s,
        '/api/v1/llm/request',
        { 'X-API-Key': key3 },
        { model: 'gpt-4o', prompt: 'hi', latencyMs: 5, endpoint: 'search' },
      );
    for (const s of servers) expect((await call(s)).status).toBe(201);
    const applied = await post(
      servers[1]!,
      `/api/v1/incidents/${incident.id}/apply-remediation`,
      bearer(user.accessToken),
      {
        action: 'disable_endpoint',
        params: { endpoint: 'search' },
      },
    );
    expect(applied.status).toBe(201);
    const appliedAt = Date.now();
    for (const s of [servers[0]!, servers[2]!]) {
      let status = 0;
      while (status !== 403 && Date.now() - appliedAt < 1000) status = (await call(s)).status;
      expect(status).toBe(403);
    }

    // 4. every cron tick ran once although three schedulers fired it
    await new Promise((r) => setTimeout(r, 3500));
    const beats = await ctx.prisma.auditLog.findMany({
      where: { action: 'cron.heartbeat', createdAt: { gte: heartbeatFrom } },
    });
    const ticks = beats.map((b) => (b.metadata as { tick: string }).tick);
    expect(ticks.length).toBeGreaterThanOrEqual(3);
    expect(new Set(ticks).size).toBe(ticks.length);
  }, 180_000);
});
