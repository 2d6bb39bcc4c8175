/**
 * npm run bench:ingest — POST /api/v1/llm/request at 32 connections against the real server
 * (child process, real PostgreSQL, group commit), and in the same run an Express
 * express.json() echo server with the same bodies as the baseline. Prints req/s, latency,
 * errors, rows stored vs 2xx, and the ratio ingest/baseline.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import path from 'node:path';
import autocannon from 'autocannon';
import { createPrisma } from '../src/db/prisma.js';
import { freePort } from '../src/db/embeddedPostgres.js';
import { createApiKey } from '../src/services/apiKeyService.js';
import { makeBodies } from './bodies.js';
import { benchDatabase } from './lib.js';

/** Requests per target; a fixed count (not a duration) so no request is cut off mid-flight. */
const REQUESTS = Number(process.env.BENCH_REQUESTS ?? 20_000);
const CONNECTIONS = 32;
const ROOT = path.resolve(import.meta.dirname, '..');

async function waitReady(url: string) {
  for (let i = 0; i < 300; i++) {
    try {
      if ((await fetch(url)).ok) return;
    } catch {
      /* not yet */
    }
    await new Promise((r) => setTimeout(r, 200));
  }
  throw new Error(`${url} never became ready`);
}

function startChild(script: string, env: Record<string, string>): ChildProcess {
  const prof = process.env.BENCH_CPU_PROF ? ['--cpu-prof', '--cpu-prof-dir', '/tmp/llmg-prof'] : [];
  return spawn(process.execPath, [...prof, '--import', 'tsx', script], {
    cwd: ROOT,
    env: { ...process.env, ...env },
    stdio: ['ignore', 'ignore', 'inherit'],
  });
}

async function load(url: string, headers: Record<string, string>, bodies: string[]) {
  let i = 0;
  const result = await autocannon({
    url,
    connections: CONNECTIONS,
    amount: REQUESTS,
    method: 'POST',
    headers: { 'content-type': 'application/json', ...headers },
    requests: [{ setupRequest: (req) => ({ ...req, body: bodies[i++ % bodies.length] }) }],
  });
  return result;
}

const db = await benchDatabase('bench_ingest');
const prisma = createPrisma(db.url, 2);
const user = await prisma.user.create({ data: { email: `bench-${Date.now()}@example.com`, passwordHash: 'x' } });
await prisma.subscription.create({ data: { userId: user.id, plan: 'enterprise', status: 'active' } });
const project = await prisma.project.create({ data: { ownerId: user.id, name: 'bench' } });
const key = (await createApiKey(prisma, project.id, { name: 'bench' }, {})).key!;
const bodies = makeBodies(500);

const apiPort = await freePort();
const echoPort = await freePort();
const api = startChild('src/server.ts', {
  // Same defaults as this process, so the key created above verifies with the same pepper.
  NODE_ENV: 'development',
  LOG_PRETTY: 'false',
  DATABASE_URL: db.url,
  PORT: String(apiPort),
  HOST: '127.0.0.1',
  LOG_LEVEL: 'warn',
  CRON_ENABLED: 'false',
  API_RATE_LIMIT_PER_KEY: '1000000000',
});
const echo = startChild('bench/echoServer.ts', { PORT: String(echoPort) });
try {
  await waitReady(`http://127.0.0.1:${apiPort}/readyz`);
  await waitReady(`http://127.0.0.1:${echoPort}/healthz`);
  console.error(`warming up, then ${REQUESTS} requests per target at ${CONNECTIONS} connections...`);
  for (const url of [`http://127.0.0.1:${echoPort}/echo`, `http://127.0.0.1:${apiPort}/api/v1/llm/whoami`]) {
    await autocannon({ url, connections: 8, duration: 2, headers: { 'x-api-key': key } });
  }
  const baseline = await load(`http://127.0.0.1:${echoPort}/echo`, {}, bodies);
  const ingest = await load(`http://127.0.0.1:${apiPort}/api/v1/llm/request`, { 'x-api-key': key }, bodies);
  const stored = await prisma.llmRequest.count({ where: { projectId: project.id } });
  const ok = (r: autocannon.Result) => r['2xx'];
  const rows = [
    ['target', 'req/s', 'p50 ms', 'p99 ms', '2xx', 'non-2xx', 'errors'],
    [
      'express.json echo (baseline)',
      baseline.requests.average.toFixed(0),
      baseline.latency.p50,
      baseline.latency.p99,
      ok(baseline),
      baseline.non2xx,
      baseline.errors,
    ],
    [
      'POST /llm/request',
      ingest.requests.average.toFixed(0),
      ingest.latency.p50,
      ingest.latency.p99,
      ok(ingest),
      ingest.non2xx,
      ingest.errors,
    ],
  ];
  console.log('\n' + rows.map((r) => r.map((c) => String(c).padEnd(30)).join('')).join('\n'));
  console.log(`\nrows stored: ${stored}  vs 2xx: ${ok(ingest)}  ${stored === ok(ingest) ? '(equal)' : '(MISMATCH)'}`);
  console.log(
    `ratio ingest/baseline: ${(ingest.requests.average / baseline.requests.average).toFixed(3)}  (target >= 0.5, p99 <= 25 ms)`,
  );
} finally {
  api.kill('SIGTERM');
  echo.kill('SIGTERM');
  await new Promise((r) => setTimeout(r, 1500));
  await prisma.$disconnect();
  await db.close();
}
