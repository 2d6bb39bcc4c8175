import { spawn } from 'node:child_process';
import autocannon from 'autocannon';
import { createPrisma } from '../src/db/prisma.js';
import { freePort } from '../src/db/embeddedPostgres.js';
import { createApiKey } from '../src/services/apiKeyService.js';
import { makeBodies } from './bodies.js';
import { benchDatabase, cpuPerRequest, sampleCpu } from './lib.js';
const db = await benchDatabase('x');
const prisma = createPrisma(db.url, 2);
const user = await prisma.user.create({ data: { email: `b-${Date.now()}@example.com`, passwordHash: 'x' } });
await prisma.subscription.create({ data: { userId: user.id, plan: 'enterprise', status: 'active' } });
const project = await prisma.project.create({ data: { ownerId: user.id, name: 'bench' } });
const key = (await createApiKey(prisma, project.id, { name: 'bench' }, {})).key!;
const port = await freePort();
const api = spawn(process.execPath, ['--import', 'tsx', 'src/server.ts'], { env: { ...process.env, NODE_ENV: 'development', LOG_PRETTY: 'false', DATABASE_URL: db.url, PORT: String(port), HOST: '127.0.0.1', LOG_LEVEL: 'warn', CRON_ENABLED: 'false', API_RATE_LIMIT_PER_KEY: '1000000000' }, stdio: ['ignore', 'ignore', 'inherit'] });
for (let i = 0; i < 100; i++) { try { if ((await fetch(`http://127.0.0.1:${port}/readyz`)).ok) break; } catch {} await new Promise((r) => setTimeout(r, 200)); }
const bodies = makeBodies(500);
async function run(label: string, opts: autocannon.Options) {
  const b = sampleCpu(api.pid!);
  const r = await autocannon({ connections: 32, amount: 10000, ...opts });
  await new Promise((res) => setTimeout(res, 300));
  const c = cpuPerRequest(b, sampleCpu(api.pid!), 10000);
  console.log(label.padEnd(20), r.requests.average, 'req/s  server ms/req', c.target.toFixed(3), 'pg', c.postgres.toFixed(3), 'p99', r.latency.p99, 'non2xx', r.non2xx);
}
await run('warm', { url: `http://127.0.0.1:${port}/api/v1/llm/whoami`, headers: { 'x-api-key': key } });
for (let k = 0; k < 1; k++) {
await run('healthz', { url: `http://127.0.0.1:${port}/healthz` });
await run('whoami', { url: `http://127.0.0.1:${port}/api/v1/llm/whoami`, headers: { 'x-api-key': key } });
let i = 0;
await run('ingest', { url: `http://127.0.0.1:${port}/api/v1/llm/request`, method: 'POST', headers: { 'x-api-key': key, 'content-type': 'application/json' }, requests: [{ setupRequest: (req) => ({ ...req, body: bodies[i++ % bodies.length] }) }] });
}
api.kill('SIGTERM'); await new Promise((r) => setTimeout(r, 1500)); await prisma.$disconnect(); await db.close();
