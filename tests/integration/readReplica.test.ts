/**
 * DATABASE_READ_URL against a real streaming replica: a PostgreSQL 15 primary (the app's
 * migrations applied to it: they must run on 15 as well as on the embedded 18) and a replica made
 * with `pg_basebackup -R`. Log search and metrics are served by the replica; a replica that lags
 * (replay paused) or is down sends them to the primary with a metric and a warning, and the user
 * gets a correct answer every time.
 */
import type { Express } from 'express';
import request from 'supertest';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createApp } from '../../src/app.js';
import { ensureDatabase, expectedMigrations } from '../../src/db/database.js';
import { localBus } from '../../src/db/notifyBus.js';
import { createPrisma, type PrismaClient } from '../../src/db/prisma.js';
import { ReadRouter, replicaMetrics } from '../../src/db/readReplica.js';
import { applyMigrations } from '../../src/db/schemaEngine.js';
import { KeyCache } from '../../src/services/auth/keyCache.js';
import { capturingLogger } from '../helpers/captureLogs.js';
import { eventually } from '../helpers/eventually.js';
import { bearer, createProject, registerUser, upgradeUser } from '../helpers/factories.js';
import { pg15Missing, startPg15Pair, type Pg15Pair } from '../helpers/pg15Replica.js';

const missing = pg15Missing();
if (missing) console.warn(`[readReplica.test] skipped: ${missing}`);

const DB = 'llmguard';
let pair: Pg15Pair;
let primary: PrismaClient;
let replica: PrismaClient;
let reads: ReadRouter;
let app: Express;
let applied: string[] = [];
const { logger, lines } = capturingLogger();

beforeAll(async () => {
  if (missing) return;
  pair = await startPg15Pair();
  await ensureDatabase(pair.primaryUrl(), DB);
  applied = await applyMigrations(pair.primaryUrl(DB));
  primary = createPrisma(pair.primaryUrl(DB), 5);
  replica = createPrisma(pair.replicaUrl(DB), 5);
  reads = new ReadRouter({ primary, replica, maxLagMs: 3_000, checkIntervalMs: 200, logger, checkTimeoutMs: 2_000 });
  reads.start();
  app = createApp({
    prisma: primary,
    reads,
    logger,
    openai: null,
    keyCache: new KeyCache(primary, localBus(), { lastUsedFlushMs: 0 }),
    expectedMigrations: await expectedMigrations(),
  });
}, 300_000);

afterAll(async () => {
  reads?.close();
  await primary?.$disconnect();
  await replica?.$disconnect().catch(() => undefined);
  await pair?.destroy();
});

async function ingest(apiKey: string, prompt: string) {
  const res = await request(app)
    .post('/api/v1/llm/request')
    .set('X-API-Key', apiKey)
    .send({ model: 'gpt-4o', prompt, response: 'fine', latencyMs: 40 });
  expect(res.status).toBe(201);
  return res.body.id as string;
}

describe.skipIf(missing)('dashboard reads on a PostgreSQL 15 streaming replica', () => {
  it('should apply every migration on PostgreSQL 15', async () => {
    expect(applied).toEqual(await expectedMigrations());
    const [v] = await primary.$queryRawUnsafe<{ v: string }[]>("SELECT current_setting('server_version_num') AS v");
    expect(Number(v!.v)).toBeGreaterThanOrEqual(150000);
    expect(Number(v!.v)).toBeLessThan(160000);
  });

  it('should serve search and metrics from the replica, and fall back to the primary when it lags or is down', async () => {
    const user = await registerUser(app);
    await upgradeUser(primary, user.id);
    const project = await createProject(app, user);
    const auth = bearer(user.accessToken);
    const search = async (q: string) => {
      const res = await request(app).get('/api/v1/logs').query({ projectId: project.id, q }).set(auth);
      expect(res.status).toBe(200);
      return (res.body.data as { id: string }[]).map((r) => r.id);
    };

    // 1. replicated and in use
    const first = await ingest(project.apiKey, 'alpha replicated row');
    await eventually(() => Promise.resolve(reads.state === 'ok'), 30_000);
    expect(await eventually(async () => ((await search('alpha')).includes(first) ? true : null), 30_000)).toBe(true);
    const before = await replicaMetrics();
    const metrics = await request(app).get('/api/v1/metrics').query({ projectId: project.id }).set(auth);
    expect(metrics.status).toBe(200);
    expect((await replicaMetrics()).replica).toBeGreaterThan(before.replica);

    // 2. replay paused: within the lag bound reads stay on the replica (the new row not there yet) ...
    await replica.$executeRawUnsafe('SELECT pg_wal_replay_pause()');
    const second = await ingest(project.apiKey, 'bravo paused row');
    const duringPause = await replicaMetrics();
    expect(await search('bravo')).toEqual([]);
    expect((await replicaMetrics()).replica).toBe(duringPause.replica + 1);
    // ... beyond it they go to the primary: the row is found, a metric and a warning say why.
    await eventually(() => Promise.resolve(reads.state === 'lagging'), 30_000);
    expect(reads.lagMs).toBeGreaterThan(3_000);
    expect(await search('bravo')).toEqual([second]);
    expect((await replicaMetrics()).fallbacks.lagging).toBeGreaterThanOrEqual(1);
    expect(lines.some((l) => l.includes('"level":40') && l.includes('read replica lagging'))).toBe(true);

    // 3. replay resumed: back on the replica
    await replica.$executeRawUnsafe('SELECT pg_wal_replay_resume()');
    await eventually(() => Promise.resolve(reads.state === 'ok'), 30_000);
    const resumed = await replicaMetrics();
    expect(await search('bravo')).toEqual([second]);
    expect((await replicaMetrics()).replica).toBe(resumed.replica + 1);

    // 4. replica down: the very next read is answered (from the primary), never an error
    pair.stopReplica();
    const third = await ingest(project.apiKey, 'charlie replica down');
    expect(await search('charlie')).toEqual([third]);
    const usage = await request(app).get('/api/v1/metrics/usage').query({ projectId: project.id }).set(auth);
    expect(usage.status).toBe(200);
    await eventually(() => Promise.resolve(reads.state === 'down'), 30_000);
    const down = await replicaMetrics();
    expect((down.fallbacks.error ?? 0) + (down.fallbacks.down ?? 0)).toBeGreaterThanOrEqual(1);
    expect(lines.some((l) => l.includes('"level":40') && l.includes('read replica down'))).toBe(true);
    expect(lines.some((l) => l.includes('"level":50'))).toBe(false);
    console.info(
      `[readReplica.test] lag seen ${reads.lagMs} ms at state ${reads.state}; reads: ${JSON.stringify(down)}`,
    );
  }, 240_000);
});
