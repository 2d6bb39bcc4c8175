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
import { freePort } from '../src/db/localPorts.js';
import { createApiKey } from '../src/services/auth/apiKeyService.js';
import { makeBodies } from './bodies.js';
import { benchDatabase, cpuPerRequest, sampleCpu, type CpuSample } from './lib.js';

/** Requests per target; a fixed count (not a duration) so no request is cut off mid-flight. */
const REQUESTS = Number(process.env.BENCH_REQUESTS ?? 20_000);
const CONNECTIONS = 32;
const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 4);

/**
 * Requests per second from the first request to the last response. autocannon's own duration
 * and average are whole-second samples: a 2.1 s run would count as 3 s.
 */
function rate(r: LoadResult): number {
  return (r['2xx'] + r.non2xx) / r.seconds;
}

type LoadResult = autocannon.Result & { seconds: number };

/** The middle value (the mean of the two middle ones for an even count). */
function median(values: number[]): number {
  const s = [...values].sort((x, y) => x - y);
  const mid = Math.floor(s.length / 2);
  return s.length % 2 === 1 ? s[mid]! : (s[mid - 1]! + s[mid]!) / 2;
}

/** The server's Prometheus samples (name with labels -> value). */
async function serverMetrics(port: number): Promise<Map<string, number>> {
  const text = await (await fetch(`http://127.0.0.1:${port}/metrics`)).text();
  const samples = new Map<string, number>();
  for (const line of text.split('\n')) {
    const m = /^(\S+) (\S+)$/.exec(line);
    if (m && !line.startsWith('#')) samples.set(m[1]!, Number(m[2]));
  }
  return samples;
}
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
  // BENCH_SERVER_CPUS=0 pins the server to CPU 0 (taskset), for profiles undisturbed by the load.
  const pin =
    process.env.BENCH_SERVER_CPUS && script.includes('server') ? ['taskset', '-c', process.env.BENCH_SERVER_CPUS] : [];
  const argv = [...pin, process.execPath, ...prof, '--import', 'tsx', script];
  return spawn(argv[0]!, argv.slice(1), {
    cwd: ROOT,
    env: { ...process.env, ...env },
    stdio: ['ignore', 'ignore', 'inherit'],
  });
}

async function load(
  url: string,
  headers: Record<string, string>,
  bodies: string[],
  amount: number,
): Promise<LoadResult> {
  let i = 0;
  const started = performance.now();
  let lastResponse = started;
  const result = await autocannon({
    url,
    connections: CONNECTIONS,
    amount,
    method: 'POST',
    headers: { 'content-type': 'application/json', ...headers },
    requests: [
      {
        setupRequest: (req) => ({ ...req, body: bodies[i++ % bodies.length] }),
        onResponse: () => {
          lastResponse = performance.now();
        },
      },
    ],
  });
  return Object.assign(result, { seconds: (lastResponse - started) / 1000 });
}

/** BENCH_PG_STATS=1: also print where PostgreSQL's time went (pg_stat_statements, embedded server only). */
const PG_STATS = process.env.BENCH_PG_STATS === '1' && !process.env.BENCH_DATABASE_URL;
const db = await benchDatabase(
  'bench_ingest',
  PG_STATS ? { shared_preload_libraries: 'pg_stat_statements', 'pg_stat_statements.track': 'all' } : undefined,
);
const prisma = createPrisma(db.url, 2);
const user = await prisma.user.create({ data: { email: `bench-${Date.now()}@example.com`, passwordHash: 'x' } });
await prisma.subscription.create({ data: { userId: user.id, plan: 'enterprise', status: 'active' } });
const project = await prisma.project.create({ data: { ownerId: user.id, name: 'bench' } });
const key = (await createApiKey(prisma, project.id, { name: 'bench' }, {})).key!;
// Warm-up traffic goes to its own project, so the measured project's rows match its 2xx count.
const warmProject = await prisma.project.create({ data: { ownerId: user.id, name: 'bench warm-up' } });
const warmKey = (await createApiKey(prisma, warmProject.id, { name: 'bench warm-up' }, {})).key!;
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
  console.error(
    `warming up, then ${REQUESTS} requests per target in ${ROUNDS} interleaved rounds at ${CONNECTIONS} connections...`,
  );
  // The same requests as the measured rounds, so both servers' hot paths are compiled first.
  await load(`http://127.0.0.1:${echoPort}/echo`, {}, bodies, 5_000);
  await load(`http://127.0.0.1:${apiPort}/api/v1/llm/request`, { 'x-api-key': warmKey }, bodies, 5_000);
  const serverBefore = await serverMetrics(apiPort);
  if (PG_STATS) {
    await prisma.$executeRawUnsafe('CREATE EXTENSION IF NOT EXISTS pg_stat_statements');
    await prisma.$queryRawUnsafe('SELECT pg_stat_statements_reset()');
  }
  // Interleaved rounds (baseline, ingest, baseline, ingest, ...): this machine's speed drifts by
  // 20-30% over minutes, so each ratio compares two runs made seconds apart.
  const perRound = Math.ceil(REQUESTS / ROUNDS);
  const results: { label: string; r: LoadResult; cpu: CpuSample }[] = [];
  const ratios: number[] = [];
  for (let round = 1; round <= ROUNDS; round++) {
    let before = sampleCpu(echo.pid!);
    const baseline = await load(`http://127.0.0.1:${echoPort}/echo`, {}, bodies, perRound);
    results.push({
      label: `echo baseline, round ${round}`,
      r: baseline,
      cpu: cpuPerRequest(before, sampleCpu(echo.pid!), perRound),
    });
    before = sampleCpu(api.pid!);
    const ingest = await load(`http://127.0.0.1:${apiPort}/api/v1/llm/request`, { 'x-api-key': key }, bodies, perRound);
    // Post-commit work (rollups, incident rules) finishes just after the last 201.
    await new Promise((r) => setTimeout(r, 500));
    results.push({
      label: `POST /llm/request, round ${round}`,
      r: ingest,
      cpu: cpuPerRequest(before, sampleCpu(api.pid!), perRound),
    });
    ratios.push(rate(ingest) / rate(baseline));
  }
  const serverAfter = await serverMetrics(apiPort);
  const stored = await prisma.llmRequest.count({ where: { projectId: project.id } });
  const ingested = results.filter((x) => x.label.startsWith('POST'));
  const ok2xx = ingested.reduce((n, x) => n + x.r['2xx'], 0);
  const table = [
    ['run', 'req/s', 'p50 ms', 'p99 ms', 'non-2xx', 'errors', 'CPU ms/req: server', 'postgres', 'load gen'],
    ...results.map(({ label, r, cpu }) => [
      label,
      rate(r).toFixed(0),
      r.latency.p50,
      r.latency.p99,
      r.non2xx,
      r.errors,
      cpu.target.toFixed(3),
      cpu.postgres.toFixed(3),
      cpu.loader.toFixed(3),
    ]),
  ];
  console.log(
    '\n' +
      table
        .map((row, i) => row.map((c, j) => String(c).padEnd(j === 0 ? 32 : i === 0 && j === 6 ? 20 : 10)).join(''))
        .join('\n'),
  );
  console.log(`\nrows stored: ${stored}  vs 2xx: ${ok2xx}  ${stored === ok2xx ? '(equal)' : '(MISMATCH)'}`);
  const p99s = ingested.map((x) => x.r.latency.p99);
  console.log(
    `ratio ingest/baseline per round: ${ratios.map((x) => x.toFixed(3)).join(', ')}  median ${median(ratios).toFixed(3)}`,
  );
  console.log(`ingest p99 median ${median(p99s)} ms  (targets: ratio >= 0.5, p99 <= 25 ms, 0 errors, rows == 2xx)`);
  const d = (name: string) => (serverAfter.get(name) ?? 0) - (serverBefore.get(name) ?? 0);
  const batches = d('llmguard_ingest_batch_rows_count');
  const requests = d(
    'llmguard_http_request_duration_seconds_count{method="POST",route="/api/v1/llm/request",status="201"}',
  );
  console.log(
    `server side (its /metrics): ${batches} batches, ${(d('llmguard_ingest_batch_rows_sum') / batches).toFixed(1)} rows each, ` +
      `commit ${((1000 * d('llmguard_ingest_commit_seconds_sum')) / batches).toFixed(2)} ms on average; ` +
      `request ${((1000 * d('llmguard_http_request_duration_seconds_sum{method="POST",route="/api/v1/llm/request",status="201"}')) / requests).toFixed(2)} ms on average from its first byte to its response`,
  );
  // The tails: how many commits and how many requests (measured inside the server) were slow.
  const over = (hist: string, le: string, labels = '') => {
    const total = d(`${hist}_count${labels ? `{${labels}}` : ''}`);
    return total - d(`${hist}_bucket{le="${le}"${labels ? `,${labels}` : ''}}`);
  };
  const ingestLabels = 'method="POST",route="/api/v1/llm/request",status="201"';
  console.log(
    `slow on the server: commits over 10 ms ${over('llmguard_ingest_commit_seconds', '0.01')}, over 25 ms ${over('llmguard_ingest_commit_seconds', '0.025')}; ` +
      `requests over 25 ms ${over('llmguard_http_request_duration_seconds', '0.025', ingestLabels)}, over 50 ms ${over('llmguard_http_request_duration_seconds', '0.05', ingestLabels)}`,
  );
  const cleanups = d('llmguard_search_index_cleanup_seconds_count');
  console.log(
    `search index pending-list merges: ${cleanups}, ${((1000 * d('llmguard_search_index_cleanup_seconds_sum')) / Math.max(cleanups, 1)).toFixed(1)} ms each`,
  );
  if (PG_STATS) {
    const top = await prisma.$queryRawUnsafe<{ calls: bigint; ms: number; rows: bigint; query: string }[]>(
      `SELECT calls, total_exec_time::float8 AS ms, rows, left(regexp_replace(query, '\\s+', ' ', 'g'), 90) AS query
       FROM pg_stat_statements ORDER BY total_exec_time DESC LIMIT 12`,
    );
    const [tbl] = await prisma.$queryRawUnsafe<
      { autovacuum_count: bigint; autoanalyze_count: bigint; n_tup_ins: bigint }[]
    >(`SELECT autovacuum_count, autoanalyze_count, n_tup_ins FROM pg_stat_user_tables WHERE relname = 'llm_requests'`);
    console.log(
      `\nllm_requests: ${tbl?.n_tup_ins} rows inserted, ${tbl?.autovacuum_count} autovacuum and ${tbl?.autoanalyze_count} autoanalyze runs`,
    );
    console.log('\nPostgreSQL statements during the ingest run (pg_stat_statements):');
    for (const t of top) {
      console.log(
        `${String(t.calls).padStart(7)} calls ${t.ms.toFixed(0).padStart(7)} ms ${String(t.rows).padStart(7)} rows  ${t.query}`,
      );
    }
  }
} finally {
  api.kill('SIGTERM');
  echo.kill('SIGTERM');
  await new Promise((r) => setTimeout(r, 1500));
  await prisma.$disconnect();
  await db.close();
}
