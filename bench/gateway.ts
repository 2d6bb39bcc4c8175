/**
 * npm run bench:gateway: what the /v1 gateway adds to an LLM call. One client (node:http,
 * keep-alive, a fixed number of concurrent connections, each request timed in microseconds)
 * sends the same chat completions, plain and streamed, in the same run, to:
 *
 *   direct   the fake upstream itself (bench/fakeUpstream.ts, its own process)
 *   llmguard our server (src/server.ts) with the guard on, recording every call
 *   portkey  Portkey's open-source gateway (@portkey-ai/gateway) pointed at the same fake
 *
 * against an upstream that answers at once and one that waits 200 ms. Reported: p50 / p99
 * latency, the added p50 / p99 over direct, req/s, errors, and rows recorded vs 2xx answers.
 *
 * Before / after a change in one run: BENCH_BASELINE_DIR=<another checkout> (its own
 * node_modules and generated Prisma client, the same migrations) adds a `baseline` target, the
 * server of that checkout on the same database, fake and client. BENCH_SCENARIOS=<text> runs
 * only the scenarios whose name contains it (e.g. "1 connection").
 * Rounds are interleaved (direct, llmguard, portkey, direct, ...) so a busy moment of the
 * machine hits every target alike.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import http from 'node:http';
import path from 'node:path';
import { createPrisma } from '../src/db/prisma.js';
import { freePort } from '../src/db/localPorts.js';
import { createApiKey } from '../src/services/auth/apiKeyService.js';
import { sealProviderKey } from '../src/services/gateway/providerKeys.js';
import { benchDatabase, percentile } from './lib.js';

const ROOT = path.resolve(import.meta.dirname, '..');
const CONNECTIONS = Number(process.env.BENCH_CONNECTIONS ?? 16);
const REQUESTS = Number(process.env.BENCH_REQUESTS ?? 3_000);
const SERIAL_REQUESTS = Number(process.env.BENCH_SERIAL_REQUESTS ?? 1_000);
const SLOW_REQUESTS = Number(process.env.BENCH_SLOW_REQUESTS ?? 400);
const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 3);
const BASELINE_DIR = process.env.BENCH_BASELINE_DIR;
const SCENARIOS = process.env.BENCH_SCENARIOS ?? '';
const UPSTREAM_KEY = 'sk-bench-upstream-key-0000';

function startChild(argv: string[], env: Record<string, string>, cwd = ROOT): ChildProcess {
  return spawn(argv[0]!, argv.slice(1), {
    cwd,
    env: { ...process.env, ...env },
    stdio: ['ignore', 'ignore', 'inherit'],
  });
}

async function waitReady(url: string) {
  for (let i = 0; i < 300; i++) {
    try {
      const res = await fetch(url);
      if (res.status < 500) return;
    } catch {
      /* not yet */
    }
    await new Promise((r) => setTimeout(r, 200));
  }
  throw new Error(`${url} did not come up`);
}

interface Target {
  name: string;
  url: string;
  headers: Record<string, string>;
}

interface RunResult {
  latenciesMs: number[];
  ok: number;
  errors: number;
  seconds: number;
}

/** Closed loop: `connections` requests in flight until `amount` are done. */
async function run(target: Target, body: string, amount: number, connections = CONNECTIONS): Promise<RunResult> {
  const agent = new http.Agent({ keepAlive: true, maxSockets: connections });
  const url = new URL(target.url);
  const latenciesMs: number[] = [];
  let ok = 0;
  let errors = 0;
  let issued = 0;
  const one = () =>
    new Promise<void>((resolve) => {
      const started = performance.now();
      const req = http.request(
        {
          agent,
          host: url.hostname,
          port: url.port,
          path: url.pathname,
          method: 'POST',
          headers: { 'content-type': 'application/json', 'content-length': Buffer.byteLength(body), ...target.headers },
        },
        (res) => {
          res.on('data', () => undefined);
          res.on('end', () => {
            latenciesMs.push(performance.now() - started);
            if (res.statusCode === 200) ok++;
            else errors++;
            resolve();
          });
        },
      );
      req.on('error', () => {
        errors++;
        resolve();
      });
      req.end(body);
    });
  const started = performance.now();
  await Promise.all(
    Array.from({ length: connections }, async () => {
      while (issued < amount) {
        issued++;
        await one();
      }
    }),
  );
  const seconds = (performance.now() - started) / 1000;
  agent.destroy();
  return { latenciesMs, ok, errors, seconds };
}

function merge(results: RunResult[]): RunResult {
  return {
    latenciesMs: results.flatMap((r) => r.latenciesMs).sort((a, b) => a - b),
    ok: results.reduce((s, r) => s + r.ok, 0),
    errors: results.reduce((s, r) => s + r.errors, 0),
    seconds: results.reduce((s, r) => s + r.seconds, 0),
  };
}

const db = await benchDatabase('bench_gateway');
const prisma = createPrisma(db.url, 2);
const user = await prisma.user.create({ data: { email: `bench-gw-${Date.now()}@example.com`, passwordHash: 'x' } });
await prisma.subscription.create({ data: { userId: user.id, plan: 'enterprise', status: 'active' } });
const project = await prisma.project.create({ data: { ownerId: user.id, name: 'bench gateway' } });
const key = (await createApiKey(prisma, project.id, { name: 'bench' }, {})).key!;

const fakePort = await freePort();
const apiPort = await freePort();
const portkeyPort = await freePort();
for (const [name, delay] of [
  ['default', 0],
  ['slow', 200],
] as const) {
  await prisma.provider.create({
    data: {
      projectId: project.id,
      name,
      kind: 'compatible',
      baseUrl: `http://127.0.0.1:${fakePort}/d${delay}/v1`,
      secrets: { create: { version: 1, ...sealProviderKey(UPSTREAM_KEY) } },
    },
  });
}

const children: ChildProcess[] = [];
const fake = startChild([process.execPath, '--import', 'tsx', 'bench/fakeUpstream.ts'], { PORT: String(fakePort) });
children.push(fake);
// BENCH_CPU_PROF=1: the server writes a V8 CPU profile to /tmp/llmg-prof on exit (open it in Chrome's DevTools).
// BENCH_SERVER_NODE_ARGS: more node options for the server alone (e.g. "--single-threaded-gc").
const prof = [
  ...(process.env.BENCH_CPU_PROF ? ['--cpu-prof', '--cpu-prof-dir', '/tmp/llmg-prof'] : []),
  ...(process.env.BENCH_SERVER_NODE_ARGS ?? '').split(' ').filter(Boolean),
];
const serverEnv = (port: number) => ({
  NODE_ENV: 'development',
  LOG_PRETTY: 'false',
  LOG_LEVEL: 'warn',
  DATABASE_URL: db.url,
  PORT: String(port),
  HOST: '127.0.0.1',
  CRON_ENABLED: 'false',
  API_RATE_LIMIT_PER_KEY: '1000000000',
  GATEWAY_ALLOW_PRIVATE_UPSTREAMS: 'true',
  GATEWAY_MAX_RETRIES: '0',
});
const api = startChild([process.execPath, ...prof, '--import', 'tsx', 'src/server.ts'], serverEnv(apiPort));
children.push(api);
const baselinePort = BASELINE_DIR ? await freePort() : 0;
if (BASELINE_DIR) {
  children.push(
    startChild(
      [process.execPath, '--import', 'tsx', 'src/server.ts'],
      serverEnv(baselinePort),
      path.resolve(BASELINE_DIR),
    ),
  );
}
const portkey = startChild(
  [process.execPath, 'node_modules/@portkey-ai/gateway/build/start-server.js', `--port=${portkeyPort}`],
  {},
);
children.push(portkey);

try {
  await waitReady(`http://127.0.0.1:${fakePort}/healthz`);
  await waitReady(`http://127.0.0.1:${apiPort}/readyz`);
  if (BASELINE_DIR) await waitReady(`http://127.0.0.1:${baselinePort}/readyz`);
  await waitReady(`http://127.0.0.1:${portkeyPort}/`);

  const plain = JSON.stringify({
    model: 'gpt-4o-mini',
    messages: [
      { role: 'system', content: 'You are a helpful assistant.' },
      { role: 'user', content: 'Summarise the quarterly sales report for the board in three sentences.' },
    ],
    user: 'end-user-42',
  });
  const streamed = JSON.stringify({ ...JSON.parse(plain), stream: true });

  const ours = (name: string, port: number, delay: 0 | 200): Target => ({
    name,
    url: `http://127.0.0.1:${port}/v1/chat/completions`,
    headers: { authorization: `Bearer ${key}`, 'x-llmguard-provider': delay ? 'slow' : 'default' },
  });
  const targets = (delay: 0 | 200): Target[] => [
    { name: 'direct', url: `http://127.0.0.1:${fakePort}/d${delay}/v1/chat/completions`, headers: {} },
    ours('llmguard', apiPort, delay),
    ...(BASELINE_DIR ? [ours('baseline', baselinePort, delay)] : []),
    {
      name: 'portkey',
      url: `http://127.0.0.1:${portkeyPort}/v1/chat/completions`,
      headers: {
        authorization: `Bearer ${UPSTREAM_KEY}`,
        'x-portkey-provider': 'openai',
        'x-portkey-custom-host': `http://127.0.0.1:${fakePort}/d${delay}/v1`,
      },
    },
  ];

  console.error(`warming up; then ${ROUNDS} interleaved rounds per scenario at ${CONNECTIONS} connections...`);
  for (const t of targets(0)) {
    await run(t, plain, 1_000);
    await run(t, streamed, 1_000);
  }
  let llmguard2xx = 0;
  const rowsBefore = await prisma.llmRequest.count({ where: { projectId: project.id } });

  const lines: string[] = [];
  lines.push(
    `| scenario | target | p50 ms | p99 ms | added p50 ms | added p99 ms | req/s | errors |`,
    `|---|---|---:|---:|---:|---:|---:|---:|`,
  );
  const summary: Record<string, Record<string, { p50: number; p99: number; rps: number }>> = {};
  // One connection: what the gateway adds to one call. Sixteen: throughput, where the added
  // latency is mostly queueing behind the other fifteen calls on a busy core.
  for (const [scenario, delay, body, amount, connections] of [
    ['plain, instant upstream, 1 connection', 0, plain, SERIAL_REQUESTS, 1],
    ['stream, instant upstream, 1 connection', 0, streamed, SERIAL_REQUESTS, 1],
    ['plain, instant upstream', 0, plain, REQUESTS],
    ['stream, instant upstream', 0, streamed, REQUESTS],
    ['plain, 200 ms upstream', 200, plain, SLOW_REQUESTS],
    ['stream, 200 ms upstream', 200, streamed, SLOW_REQUESTS],
  ] as const) {
    if (!scenario.includes(SCENARIOS)) continue;
    const perTarget = new Map<string, RunResult[]>();
    for (let round = 0; round < ROUNDS; round++) {
      for (const t of targets(delay)) {
        const r = await run(t, body, Math.ceil(amount / ROUNDS), connections);
        perTarget.set(t.name, [...(perTarget.get(t.name) ?? []), r]);
        if (t.name === 'llmguard' || t.name === 'baseline') llmguard2xx += r.ok;
      }
    }
    const direct = merge(perTarget.get('direct')!);
    const d50 = percentile(direct.latenciesMs, 0.5);
    const d99 = percentile(direct.latenciesMs, 0.99);
    summary[scenario] = {};
    for (const [name, results] of perTarget) {
      const m = merge(results);
      const p50 = percentile(m.latenciesMs, 0.5);
      const p99 = percentile(m.latenciesMs, 0.99);
      const rps = (m.ok + m.errors) / m.seconds;
      summary[scenario]![name] = { p50, p99, rps };
      lines.push(
        `| ${scenario} | ${name} | ${p50.toFixed(2)} | ${p99.toFixed(2)} | ${name === 'direct' ? '' : (p50 - d50).toFixed(2)} | ${name === 'direct' ? '' : (p99 - d99).toFixed(2)} | ${rps.toFixed(0)} | ${m.errors} |`,
      );
    }
  }

  // Every answered call is recorded: rows == 2xx (the writer commits within milliseconds).
  let rows = 0;
  for (let i = 0; i < 50; i++) {
    rows = (await prisma.llmRequest.count({ where: { projectId: project.id } })) - rowsBefore;
    if (rows >= llmguard2xx) break;
    await new Promise((r) => setTimeout(r, 100));
  }

  console.log(
    `\nbench:gateway (${CONNECTIONS} connections, ${ROUNDS} interleaved rounds; shared machine, figures are noisy)\n`,
  );
  console.log(lines.join('\n'));
  console.log('\nthroughput ratio llmguard / portkey:');
  for (const [scenario, s] of Object.entries(summary)) {
    console.log(
      `  ${scenario}: ${(s.llmguard!.rps / s.portkey!.rps).toFixed(2)}${s.baseline ? ` (baseline ${(s.baseline.rps / s.portkey!.rps).toFixed(2)})` : ''} (llmguard ${s.llmguard!.rps.toFixed(0)} req/s, portkey ${s.portkey!.rps.toFixed(0)} req/s, direct ${s.direct!.rps.toFixed(0)} req/s)`,
    );
  }
  console.log(
    `\nrecorded rows ${rows} / llmguard 2xx ${llmguard2xx}: ${rows === llmguard2xx ? 'every call recorded' : 'MISMATCH'}`,
  );
} finally {
  const apiExited = new Promise((r) => (api.exitCode !== null ? r(null) : api.once('exit', r)));
  for (const c of children) c.kill('SIGTERM');
  // the server's graceful stop (and its CPU profile, when asked for) before its database goes
  await Promise.race([apiExited, new Promise((r) => setTimeout(r, 15_000))]);
  await prisma.$disconnect();
  await db.close();
}
