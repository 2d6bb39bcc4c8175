/**
 * PostgreSQL stops during load: the server stays up, answers 503 with Retry-After quickly (no
 * hanging requests), /readyz goes 503, and it recovers by itself once the database is back.
 */
import { chmod, mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { createApp } from '../../src/app.js';
import { ensureDatabase, withDatabase } from '../../src/db/database.js';
import { startEmbeddedPostgres, type EmbeddedPostgres } from '../../src/db/embeddedPostgres.js';
import { createPrisma } from '../../src/db/prisma.js';
import { applyMigrations } from '../../src/db/schemaEngine.js';
import { createProject, registerUser } from '../helpers/factories.js';
import { spawnServer, waitFor, type SpawnedServer } from '../helpers/spawnServer.js';

let dir: string;
let pg: EmbeddedPostgres | undefined;
let server: SpawnedServer | undefined;
afterAll(async () => {
  server?.child.kill('SIGKILL');
  await pg?.stop();
  if (dir) await rm(dir, { recursive: true, force: true });
});

async function timed(url: string, init?: RequestInit) {
  const started = Date.now();
  const res = await fetch(url, { ...init, signal: AbortSignal.timeout(10_000) });
  return {
    status: res.status,
    retryAfter: res.headers.get('retry-after'),
    ms: Date.now() - started,
    body: await res.text(),
  };
}

describe('database outage', () => {
  it('should answer 503 quickly while PostgreSQL is down and recover without a restart', async () => {
    dir = await mkdtemp(path.join(os.tmpdir(), 'llmguard-outage-'));
    await chmod(dir, 0o755);
    pg = await startEmbeddedPostgres({ dataDir: dir, port: 0 });
    await ensureDatabase(pg.url, 'outage');
    const url = withDatabase(pg.url, 'outage');
    await applyMigrations(url);

    // a user, project and key through the real app on that database
    const prisma = createPrisma(url, 2);
    const app = createApp({ prisma, openai: null });
    const user = await registerUser(app);
    const project = await createProject(app, user);
    await prisma.$disconnect();

    server = await spawnServer({ DATABASE_URL: url, CRON_ENABLED: 'false' });
    await waitFor(`${server.baseUrl}/readyz`);
    const ingest = () =>
      timed(`${server!.baseUrl}/api/v1/llm/request`, {
        method: 'POST',
        headers: { 'Content-Type': 'application/json', 'X-API-Key': project.apiKey },
        body: JSON.stringify({ model: 'gpt-4o', prompt: 'hello', latencyMs: 5 }),
      });
    expect((await ingest()).status).toBe(201);

    await pg.stop();
    const during = await Promise.all(Array.from({ length: 10 }, () => ingest()));
    for (const r of during) {
      expect(r.status, r.body).toBe(503);
      expect(r.retryAfter).toBeTruthy();
      expect(r.ms).toBeLessThan(3_000);
      expect(JSON.parse(r.body).error.code).toBe('DATABASE_UNAVAILABLE');
    }
    const ready = await timed(`${server.baseUrl}/readyz`);
    expect(ready.status).toBe(503);
    expect(ready.ms).toBeLessThan(6_000);
    expect((await timed(`${server.baseUrl}/healthz`)).status).toBe(200);

    pg = await startEmbeddedPostgres({ dataDir: dir, port: pg.port });
    const back = Date.now();
    await waitFor(`${server.baseUrl}/readyz`, 200, 15_000);
    let status = 0;
    while (Date.now() - back < 15_000 && status !== 201) {
      status = (await ingest()).status;
      if (status !== 201) await new Promise((r) => setTimeout(r, 200));
    }
    expect(status).toBe(201);
    expect(Date.now() - back).toBeLessThan(15_000);
    server.child.kill('SIGTERM');
    expect((await server.exited).code).toBe(0);
    server = undefined;
  }, 120_000);
});
