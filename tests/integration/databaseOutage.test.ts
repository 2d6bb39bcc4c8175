/**
 * Production-like database failures against the real server process (issue 24, items 1 and 4):
 * - PostgreSQL stopped for 15 s while traffic flows: every answer is 201 or a 503
 *   DATABASE_UNAVAILABLE with Retry-After (never a 500, never a hang), the server logs a bounded
 *   number of lines (no reconnect storm), holds one LISTEN connection afterwards, and recovers
 *   by itself once PostgreSQL is back.
 * - The whole cluster frozen with SIGSTOP: requests that reach the database (ingest, logs,
 *   /readyz) answer 503 DATABASE_UNAVAILABLE while it is still frozen instead of hanging until
 *   it thaws, and the server recovers after SIGCONT.
 */
import { execFileSync } from 'node:child_process';
import { chmod, mkdtemp, readFile, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createApp } from '../../src/app.js';
import { ensureDatabase, withDatabase } from '../../src/db/database.js';
import { startEmbeddedPostgres, type EmbeddedPostgres } from '../../src/db/embeddedPostgres.js';
import { createPrisma } from '../../src/db/prisma.js';
import { applyMigrations } from '../../src/db/schemaEngine.js';
import { createProject, registerUser, type TestProject, type TestUser } from '../helpers/factories.js';
import { spawnServer, waitFor, type SpawnedServer } from '../helpers/spawnServer.js';

let dir: string;
let cluster: EmbeddedPostgres | undefined;
let server: SpawnedServer | undefined;
let url: string;
let user: TestUser;
let project: TestProject;
let frozen: number[] = [];

beforeAll(async () => {
  dir = await mkdtemp(path.join(os.tmpdir(), 'llmguard-dbfail-'));
  await chmod(dir, 0o755);
  cluster = await startEmbeddedPostgres({ dataDir: dir, port: 0 });
  await ensureDatabase(cluster.url, 'dbfail');
  url = withDatabase(cluster.url, 'dbfail');
  await applyMigrations(url);
  const prisma = createPrisma(url, 2);
  const app = createApp({ prisma, openai: null });
  user = await registerUser(app);
  project = await createProject(app, user);
  await prisma.$disconnect();
}, 120_000);

afterAll(async () => {
  for (const pid of frozen) signal(pid, 'SIGCONT');
  server?.child.kill('SIGKILL');
  await cluster?.stop();
  if (dir) await rm(dir, { recursive: true, force: true });
});

function signal(pid: number, sig: NodeJS.Signals) {
  try {
    process.kill(pid, sig);
  } catch {
    // already gone
  }
}

interface Answer {
  at: number;
  status: number;
  ms: number;
  code?: string;
  retryAfter: string | null;
}

async function call(path: string, init: RequestInit = {}, timeoutMs = 12_000): Promise<Answer> {
  const at = Date.now();
  try {
    const res = await fetch(`${server!.baseUrl}${path}`, { ...init, signal: AbortSignal.timeout(timeoutMs) });
    const text = await res.text();
    let code: string | undefined;
    try {
      code = (JSON.parse(text) as { error?: { code?: string } }).error?.code;
    } catch {
      // not JSON
    }
    return { at, status: res.status, ms: Date.now() - at, code, retryAfter: res.headers.get('retry-after') };
  } catch {
    return { at, status: 0, ms: Date.now() - at, retryAfter: null }; // no answer in time
  }
}

const ingest = (timeoutMs?: number) =>
  call(
    '/api/v1/llm/request',
    {
      method: 'POST',
      headers: { 'Content-Type': 'application/json', 'X-API-Key': project.apiKey },
      body: JSON.stringify({ model: 'gpt-4o', prompt: 'hello', latencyMs: 5 }),
    },
    timeoutMs,
  );
const logs = (timeoutMs?: number) =>
  call(
    `/api/v1/logs?projectId=${project.id}&limit=5`,
    { headers: { Authorization: `Bearer ${user.accessToken}` } },
    timeoutMs,
  );

/** Log lines other than the one-per-request access lines. */
function serverLines(output: string): string[] {
  return output
    .split('\n')
    .filter((l) => l.startsWith('{'))
    .filter((l) => !/"msg":"request (completed|aborted)"/.test(l));
}

async function untilCreated(deadlineMs: number): Promise<number> {
  const started = Date.now();
  while (Date.now() - started < deadlineMs) {
    if ((await ingest(3_000)).status === 201) return Date.now() - started;
    await new Promise((r) => setTimeout(r, 100));
  }
  return Infinity;
}

async function listenerConnections(): Promise<number> {
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  try {
    const { rows } = await client.query<{ n: number }>(
      "SELECT count(*)::int AS n FROM pg_stat_activity WHERE datname = current_database() AND query LIKE 'LISTEN%'",
    );
    return rows[0]!.n;
  } finally {
    await client.end();
  }
}

/** The postmaster and every process it started (backends, checkpointer, ...). */
async function clusterPids(): Promise<number[]> {
  const postmaster = Number((await readFile(path.join(cluster!.dataDir, 'postmaster.pid'), 'utf8')).split('\n')[0]);
  const children = execFileSync('ps', ['-o', 'pid=', '--ppid', String(postmaster)], { encoding: 'utf8' })
    .split('\n')
    .map((s) => Number(s.trim()))
    .filter((n) => n > 0);
  return [postmaster, ...children];
}

describe('database failures against the server process', () => {
  it('should answer fast 503s during a 15 s outage, log a bounded number of lines and recover by itself', async () => {
    server = await spawnServer({ DATABASE_URL: url, CRON_ENABLED: 'false', DATABASE_POOL_SIZE: '10' });
    await waitFor(`${server.baseUrl}/readyz`);
    expect((await ingest()).status).toBe(201);

    // traffic: 4 clients sending one call after another for the whole test
    const answers: Answer[] = [];
    let running = true;
    const clients = Array.from({ length: 4 }, async () => {
      while (running) {
        answers.push(await ingest());
        await new Promise((r) => setTimeout(r, 50));
      }
    });
    await new Promise((r) => setTimeout(r, 1_000));

    const linesBefore = serverLines(server.output()).length;
    const down = Date.now();
    await cluster!.stop();
    const health: Answer[] = [];
    while (Date.now() - down < 15_000) {
      health.push(await call('/healthz', {}, 5_000));
      await new Promise((r) => setTimeout(r, 1_000));
    }
    const ready = await call('/readyz', {}, 10_000);
    expect(ready.status).toBe(503);

    cluster = await startEmbeddedPostgres({ dataDir: dir, port: cluster!.port });
    const recoveredMs = await untilCreated(30_000);
    await new Promise((r) => setTimeout(r, 2_000));
    running = false;
    await Promise.all(clients);

    // the server was reachable throughout and recovered within seconds of the database's return
    expect(health.every((h) => h.status === 200)).toBe(true);
    expect(recoveredMs).toBeLessThan(15_000);
    await waitFor(`${server.baseUrl}/readyz`, 200, 15_000);
    console.log(`database back -> first 201 after ${recoveredMs} ms`);

    // every answer: committed or a retryable 503 that names the database; none hung
    const during = answers.filter((a) => a.at >= down);
    expect(during.length).toBeGreaterThan(20);
    const bad = during.filter((a) => a.status !== 201 && !(a.status === 503 && a.code === 'DATABASE_UNAVAILABLE'));
    expect(bad).toEqual([]);
    expect(during.filter((a) => a.status === 503).every((a) => a.retryAfter !== null)).toBe(true);

    // bounded logging: a handful of lines for the whole outage, not one (or more) per retry
    const outageLines = serverLines(server.output()).slice(linesBefore);
    console.log(`${outageLines.length} non-request log lines during the outage and recovery`);
    expect(outageLines.length, outageLines.slice(0, 20).join('\n')).toBeLessThan(60);

    // exactly one invalidation listener afterwards (no leaked reconnect attempts)
    expect(await listenerConnections()).toBe(1);
    server.child.kill('SIGTERM');
    expect((await server.exited).code).toBe(0);
    server = undefined;
  }, 120_000);

  it('should answer 503 DATABASE_UNAVAILABLE while the cluster is frozen (SIGSTOP) and recover after SIGCONT', async () => {
    server?.child.kill('SIGKILL'); // left by a failed first test
    server = await spawnServer({ DATABASE_URL: url, CRON_ENABLED: 'false' });
    await waitFor(`${server.baseUrl}/readyz`);
    expect((await ingest()).status).toBe(201);
    expect((await logs()).status).toBe(200);

    const FREEZE_MS = 12_000;
    frozen = await clusterPids();
    for (const pid of frozen) signal(pid, 'SIGSTOP');
    const stoppedAt = Date.now();
    // each request must be answered while the cluster is still frozen
    const left = () => FREEZE_MS - (Date.now() - stoppedAt) - 500;
    const first = await Promise.all([ingest(left()), logs(left()), call('/readyz', {}, left())]);
    const second = await Promise.all([ingest(left()), logs(left()), ingest(left())]);
    const thawAt = Math.max(0, FREEZE_MS - (Date.now() - stoppedAt));
    await new Promise((r) => setTimeout(r, thawAt));
    for (const pid of frozen) signal(pid, 'SIGCONT');
    frozen = [];

    for (const a of [...first, ...second]) {
      expect(a.status, JSON.stringify(a)).toBe(503);
      expect(a.retryAfter).not.toBeNull();
    }
    for (const a of [first[0]!, first[1]!, ...second]) expect(a.code).toBe('DATABASE_UNAVAILABLE');
    console.log(
      `frozen cluster: first answers after ${first.map((a) => a.ms).join('/')} ms, then ${second.map((a) => a.ms).join('/')} ms`,
    );

    expect(await untilCreated(30_000)).toBeLessThan(30_000);
    expect((await logs()).status).toBe(200);
    server.child.kill('SIGTERM');
    expect((await server.exited).code).toBe(0);
    server = undefined;
  }, 120_000);
});
