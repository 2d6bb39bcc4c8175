/**
 * Redis down with REDIS_URL set: the server still starts and serves, and rate limits fall back
 * to per-process memory limiters (rate-limiter-flexible insurance) instead of failing open or
 * failing requests.
 */
import { afterAll, describe, expect, it } from 'vitest';
import { freePort } from '../../src/db/localPorts.js';
import { createProject, registerUser, upgradeUser } from '../helpers/factories.js';
import { spawnServer, waitFor, type SpawnedServer } from '../helpers/spawnServer.js';
import { useTestApp } from '../helpers/testApp.js';

const ctx = useTestApp({ openai: null });
let server: SpawnedServer | undefined;
afterAll(async () => {
  server?.child.kill('SIGTERM');
  await server?.exited;
});

describe('Redis outage', () => {
  it('should keep serving with memory rate limits when Redis is unreachable', async () => {
    const user = await registerUser(ctx.app);
    await upgradeUser(ctx.prisma, user.id);
    const project = await createProject(ctx.app, user);
    const deadRedis = `redis://127.0.0.1:${await freePort()}`;
    server = await spawnServer({
      DATABASE_URL: ctx.databaseUrl,
      REDIS_URL: deadRedis,
      API_RATE_LIMIT_PER_KEY: '5',
      CRON_ENABLED: 'false',
    });
    await waitFor(`${server.baseUrl}/readyz`);
    const statuses: number[] = [];
    for (let i = 0; i < 8; i++) {
      const res = await fetch(`${server.baseUrl}/api/v1/llm/request`, {
        method: 'POST',
        headers: { 'Content-Type': 'application/json', 'X-API-Key': project.apiKey },
        body: JSON.stringify({ model: 'gpt-4o', prompt: 'hello', latencyMs: 5 }),
        signal: AbortSignal.timeout(5_000),
      });
      statuses.push(res.status);
    }
    expect(statuses.slice(0, 5)).toEqual([201, 201, 201, 201, 201]);
    expect(statuses.slice(5)).toEqual([429, 429, 429]);
    expect(server.output()).toMatch(/redis/i);
  }, 60_000);
});
