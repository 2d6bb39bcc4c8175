/**
 * npm run bench:soak — SOAK_MINUTES (default 10) of POST /llm/request at a fixed rate (default:
 * half of the maximum measured in a short calibration run) against the real server process.
 * Every minute prints the server's RSS and heap (from its own /metrics) and the minute's p99;
 * at the end, the memory trend after warm-up (first minute) and the p99 spread.
 */
import { spawn } from 'node:child_process';
import path from 'node:path';
import autocannon from 'autocannon';
import { freePort } from '../src/db/embeddedPostgres.js';
import { createPrisma } from '../src/db/prisma.js';
import { createApiKey } from '../src/services/auth/apiKeyService.js';
import { makeBodies } from './bodies.js';
import { benchDatabase } from './lib.js';

const MINUTES = Number(process.env.SOAK_MINUTES ?? 10);
const ROOT = path.resolve(import.meta.dirname, '..');

async function metric(base: string, name: string): Promise<number> {
  const text = await (await fetch(`${base}/metrics`)).text();
  const line = text.split('\n').find((l) => l.startsWith(`${name} `));
  return Number(line?.split(' ')[1] ?? NaN);
}

const db = await benchDatabase('bench_soak');
const prisma = createPrisma(db.url, 2);
const user = await prisma.user.create({ data: { email: `soak-${Date.now()}@example.com`, passwordHash: 'x' } });
await prisma.subscription.create({ data: { userId: user.id, plan: 'enterprise', status: 'active' } });
const project = await prisma.project.create({ data: { ownerId: user.id, name: 'soak' } });
const key = (await createApiKey(prisma, project.id, { name: 'soak' }, {})).key!;
const bodies = makeBodies(500);
const port = await freePort();
const base = `http://127.0.0.1:${port}`;
const server = spawn(process.execPath, ['--import', 'tsx', 'src/server.ts'], {
  cwd: ROOT,
  env: {
    ...process.env,
    NODE_ENV: 'development',
    LOG_PRETTY: 'false',
    LOG_LEVEL: 'warn',
    DATABASE_URL: db.url,
    PORT: String(port),
    HOST: '127.0.0.1',
    CRON_ENABLED: 'false',
    API_RATE_LIMIT_PER_KEY: '1000000000',
  },
  stdio: ['ignore', 'ignore', 'inherit'],
});

const run = (opts: Partial<autocannon.Options>) => {
  let i = 0;
  return autocannon({
    url: `${base}/api/v1/llm/request`,
    method: 'POST',
    connections: 32,
    headers: { 'content-type': 'application/json', 'x-api-key': key },
    requests: [{ setupRequest: (req) => ({ ...req, body: bodies[i++ % bodies.length] }) }],
    ...opts,
  });
};

try {
  for (let i = 0; i < 300; i++) {
    if (
      await fetch(`${base}/readyz`).then(
        (r) => r.ok,
        () => false,
      )
    )
      break;
    await new Promise((r) => setTimeout(r, 200));
  }
  const calibration = await run({ duration: 10 });
  const rate = Number(process.env.SOAK_RATE ?? Math.max(10, Math.floor(calibration.requests.average / 2)));
  console.log(
    `max measured: ${calibration.requests.average.toFixed(0)} req/s; soaking at ${rate} req/s for ${MINUTES} min`,
  );
  console.log('minute  rss MB  heap MB  req/s  p99 ms  non-2xx');
  const rows: { rss: number; heap: number; p99: number }[] = [];
  for (let m = 1; m <= MINUTES; m++) {
    const r = await run({ duration: 60, overallRate: rate });
    const rss = (await metric(base, 'process_resident_memory_bytes')) / 2 ** 20;
    const heap = (await metric(base, 'nodejs_heap_size_used_bytes')) / 2 ** 20;
    rows.push({ rss, heap, p99: r.latency.p99 });
    console.log(
      `${String(m).padStart(6)}  ${rss.toFixed(1).padStart(6)}  ${heap.toFixed(1).padStart(7)}  ${r.requests.average.toFixed(0).padStart(5)}  ${String(r.latency.p99).padStart(6)}  ${r.non2xx}`,
    );
  }
  const after = rows.slice(1);
  if (after.length >= 2) {
    const first = after[0]!;
    const last = after.at(-1)!;
    const growth = (last.rss - first.rss) / first.rss;
    const p99s = after.map((r) => r.p99);
    console.log(
      `\nRSS after warm-up: ${first.rss.toFixed(1)} -> ${last.rss.toFixed(1)} MB (${(growth * 100).toFixed(1)}%, target < 10%)`,
    );
    console.log(`p99 after warm-up: min ${Math.min(...p99s)} ms, max ${Math.max(...p99s)} ms`);
  }
} finally {
  server.kill('SIGTERM');
  await new Promise((r) => setTimeout(r, 1500));
  await prisma.$disconnect();
  await db.close();
}
