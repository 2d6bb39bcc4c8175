/**
 * npm run bench:soak — the soak of issue 24's "Done when": SOAK_SECONDS (default 600) of
 * POST /llm/request at SOAK_RATE calls per second (default 40) against the real server process
 * and its own embedded PostgreSQL, with
 * - a crafted 1 MB prompt and response (bench/adversarialShapes.ts, in turn) every
 *   SOAK_ADVERSARIAL_EVERY seconds (default 5) mixed into the ordinary bodies;
 * - the database stopped in the middle for SOAK_OUTAGE_SECONDS (default 15) and started again.
 *
 * Every minute it prints the server's RSS and heap (its /metrics), the calls sent, acknowledged
 * (201) and refused, the p99 of the ordinary calls and the server's log lines. At the end:
 * acknowledged rows missing from the database (must be 0), 5xx other than fast 503s (must be
 * 0; fast = answered within FAST_503_MS), time from the database's return to the first 201
 * (must be under 10 s), the longest /healthz answer, memory after warm-up and the log volume.
 */
import { spawn } from 'node:child_process';
import { chmod, mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import pg from 'pg';
import { ensureDatabase, withDatabase } from '../src/db/database.js';
import { startEmbeddedPostgres, type EmbeddedPostgres } from '../src/db/embeddedPostgres.js';
import { freePort } from '../src/db/localPorts.js';
import { createPrisma } from '../src/db/prisma.js';
import { applyMigrations } from '../src/db/schemaEngine.js';
import { createApiKey } from '../src/services/auth/apiKeyService.js';
import { SHAPES } from './adversarialShapes.js';
import { makeBodies } from './bodies.js';
import { percentile } from './lib.js';

const SECONDS = Number(process.env.SOAK_SECONDS ?? 600);
const RATE = Number(process.env.SOAK_RATE ?? 40);
const ADVERSARIAL_EVERY = Number(process.env.SOAK_ADVERSARIAL_EVERY ?? 5);
const OUTAGE_SECONDS = Number(process.env.SOAK_OUTAGE_SECONDS ?? 15);
const FAST_503_MS = 1_000;
const TIMEOUT_MS = 30_000;
/** Calls in flight past which the generator skips a tick's calls (and counts them) rather than pile up. */
const MAX_IN_FLIGHT = 512;
const ROOT = path.resolve(import.meta.dirname, '..');

interface Answer {
  at: number;
  status: number; // 0: no answer within TIMEOUT_MS
  ms: number;
  adversarial: boolean;
  code?: string;
}

const dir = await mkdtemp(path.join(os.tmpdir(), 'llmguard-soak-'));
await chmod(dir, 0o755);
let cluster: EmbeddedPostgres = await startEmbeddedPostgres({ dataDir: dir, port: 0 });
await ensureDatabase(cluster.url, 'soak');
const url = withDatabase(cluster.url, 'soak');
await applyMigrations(url);
const prisma = createPrisma(url, 2);
const user = await prisma.user.create({ data: { email: `soak-${Date.now()}@example.com`, passwordHash: 'x' } });
await prisma.subscription.create({ data: { userId: user.id, plan: 'enterprise', status: 'active' } });
const project = await prisma.project.create({ data: { ownerId: user.id, name: 'soak', piiMode: 'redact' } });
const key = (await createApiKey(prisma, project.id, { name: 'soak' }, {})).key!;
await prisma.$disconnect();

const bodies = makeBodies(500);
const adversarialBodies = SHAPES.map((s) =>
  JSON.stringify({ model: 'gpt-4o', prompt: s.text, response: s.text, latencyMs: 100 }),
);
const port = await freePort();
const base = `http://127.0.0.1:${port}`;
const server = spawn(process.execPath, ['--import', 'tsx', 'src/server.ts'], {
  cwd: ROOT,
  env: {
    ...process.env,
    NODE_ENV: 'development',
    LOG_PRETTY: 'false',
    LOG_LEVEL: process.env.SOAK_LOG_LEVEL ?? 'info',
    DATABASE_URL: url,
    PORT: String(port),
    HOST: '127.0.0.1',
    CRON_ENABLED: 'false',
    API_RATE_LIMIT_PER_KEY: '1000000000',
    // the bench's database is an embedded server with its allocator settings, given as a URL
    DATABASE_HEAP_WARMUP: process.env.DATABASE_HEAP_WARMUP ?? 'true',
  },
  stdio: ['ignore', 'pipe', 'pipe'],
});
/** The server's log: lines and bytes, all of them and those other than per-request access lines. */
const log = { lines: 0, bytes: 0, other: 0, otherSamples: new Map<string, number>() };
for (const stream of [server.stdout, server.stderr]) {
  let rest = '';
  stream.setEncoding('utf8');
  stream.on('data', (chunk: string) => {
    log.bytes += Buffer.byteLength(chunk);
    const lines = (rest + chunk).split('\n');
    rest = lines.pop()!;
    for (const line of lines) {
      log.lines += 1;
      if (/"msg":"request (completed|aborted)"/.test(line)) continue;
      log.other += 1;
      const msg = /"msg":"([^"]*)"/.exec(line)?.[1] ?? line.slice(0, 80);
      log.otherSamples.set(msg, (log.otherSamples.get(msg) ?? 0) + 1);
    }
  });
}

async function metric(name: string): Promise<number> {
  try {
    const text = await (await fetch(`${base}/metrics`, { signal: AbortSignal.timeout(5_000) })).text();
    const line = text.split('\n').find((l) => l.startsWith(`${name} `));
    return Number(line?.split(' ')[1] ?? NaN);
  } catch {
    return NaN;
  }
}

const acked: string[] = [];
const answers: Answer[] = [];
let inFlight = 0;
let skipped = 0;

async function send(body: string, adversarial: boolean): Promise<void> {
  const at = Date.now();
  inFlight += 1;
  try {
    const res = await fetch(`${base}/api/v1/llm/request`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', 'x-api-key': key },
      body,
      signal: AbortSignal.timeout(TIMEOUT_MS),
    });
    const text = await res.text();
    const parsed = JSON.parse(text) as { id?: string; error?: { code?: string } };
    if (res.status === 201 && parsed.id) acked.push(parsed.id);
    answers.push({ at, status: res.status, ms: Date.now() - at, adversarial, code: parsed.error?.code });
  } catch {
    answers.push({ at, status: 0, ms: Date.now() - at, adversarial });
  } finally {
    inFlight -= 1;
  }
}

async function waitReady(): Promise<void> {
  for (let i = 0; i < 600; i++) {
    const ok = await fetch(`${base}/readyz`).then(
      (r) => r.ok,
      () => false,
    );
    if (ok) return;
    await new Promise((r) => setTimeout(r, 200));
  }
  throw new Error('server never became ready');
}

let longestHealthz = 0;
let healthzFailures = 0;
async function pollHealthz(until: () => boolean): Promise<void> {
  while (!until()) {
    const started = Date.now();
    const ok = await fetch(`${base}/healthz`, { signal: AbortSignal.timeout(10_000) }).then(
      (r) => r.ok,
      () => false,
    );
    if (!ok) healthzFailures += 1;
    longestHealthz = Math.max(longestHealthz, Date.now() - started);
    await new Promise((r) => setTimeout(r, 100));
  }
}

try {
  await waitReady();
  console.log(
    `soak: ${SECONDS} s at ${RATE} calls/s, a 1 MB adversarial call every ${ADVERSARIAL_EVERY} s, ` +
      `database stopped for ${OUTAGE_SECONDS} s at ${Math.round(SECONDS / 2)} s`,
  );
  console.log('minute  rss MB  heap MB  sent  201   503   other  p99 ms  log lines (non-request)');
  const started = Date.now();
  const elapsed = () => (Date.now() - started) / 1000;
  let finished = false;
  const healthz = pollHealthz(() => finished);

  // The outage: stop the cluster in the middle, start it again OUTAGE_SECONDS later.
  let downAt = 0;
  let backAt = 0;
  const outage = (async () => {
    await new Promise((r) => setTimeout(r, (SECONDS / 2) * 1000));
    downAt = Date.now();
    await cluster.stop();
    await new Promise((r) => setTimeout(r, OUTAGE_SECONDS * 1000));
    cluster = await startEmbeddedPostgres({ dataDir: dir, port: cluster.port });
    backAt = Date.now();
  })();

  const rows: { rss: number; heap: number }[] = [];
  let sent = 0;
  let nextAdversarial = ADVERSARIAL_EVERY;
  let shape = 0;
  let minute = 1;
  let from = 0;
  let logFrom = 0;
  let otherFrom = 0;
  /** One line per minute (and one for a last part-minute). */
  const report = async () => {
    const rss = (await metric('process_resident_memory_bytes')) / 2 ** 20;
    const heap = (await metric('nodejs_heap_size_used_bytes')) / 2 ** 20;
    rows.push({ rss, heap });
    const these = answers.slice(from);
    from = answers.length;
    const normal = these.filter((a) => !a.adversarial && a.status === 201).map((a) => a.ms);
    const count = (f: (a: Answer) => boolean) => String(these.filter(f).length);
    console.log(
      [
        String(minute).padStart(6),
        rss.toFixed(1).padStart(6),
        heap.toFixed(1).padStart(7),
        String(these.length).padStart(5),
        count((a) => a.status === 201).padStart(5),
        count((a) => a.status === 503).padStart(5),
        count((a) => a.status !== 201 && a.status !== 503).padStart(6),
        String(
          percentile(
            normal.sort((a, b) => a - b),
            0.99,
          ),
        ).padStart(7),
        `${log.lines - logFrom} (${log.other - otherFrom})`.padStart(10),
      ].join('  '),
    );
    logFrom = log.lines;
    otherFrom = log.other;
    minute += 1;
  };
  while (elapsed() < SECONDS) {
    const owed = Math.floor(elapsed() * RATE) - sent;
    for (let i = 0; i < owed; i++) {
      sent += 1;
      if (inFlight >= MAX_IN_FLIGHT) skipped += 1;
      else void send(bodies[sent % bodies.length]!, false);
    }
    if (elapsed() >= nextAdversarial) {
      nextAdversarial += ADVERSARIAL_EVERY;
      void send(adversarialBodies[shape++ % adversarialBodies.length]!, true);
    }
    if (elapsed() >= minute * 60) await report();
    await new Promise((r) => setTimeout(r, 10));
  }
  await outage;
  // let the last calls finish
  for (let i = 0; i < TIMEOUT_MS / 100 && inFlight > 0; i++) await new Promise((r) => setTimeout(r, 100));
  finished = true;
  await healthz;
  if (answers.length > from) await report();

  // Acknowledged rows in the database: every 201's id must be stored.
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  let stored = 0;
  for (let i = 0; i < acked.length; i += 5_000) {
    const { rows: found } = await client.query<{ n: number }>(
      'SELECT count(*)::int AS n FROM llm_requests WHERE id = ANY($1::text[])',
      [acked.slice(i, i + 5_000)],
    );
    stored += found[0]!.n;
  }
  await client.end();

  const firstAfter = answers
    .filter((a) => a.status === 201 && a.at >= backAt)
    .reduce((min, a) => Math.min(min, a.at + a.ms), Infinity);
  const fast503 = answers.filter((a) => a.status === 503 && a.ms <= FAST_503_MS);
  const bad = answers.filter((a) => a.status !== 201 && !(a.status === 503 && a.ms <= FAST_503_MS));
  const byKind = new Map<string, number>();
  for (const a of bad) {
    const kind = `${a.status === 0 ? 'no answer' : a.status}${a.code ? ` ${a.code}` : ''}${a.adversarial ? ' (adversarial)' : ''}`;
    byKind.set(kind, (byKind.get(kind) ?? 0) + 1);
  }
  const adversarial = answers.filter((a) => a.adversarial);
  const after = rows.slice(1).filter((r) => Number.isFinite(r.rss));

  console.log('\nResults');
  console.log(
    `calls: ${answers.length} answered (${adversarial.length} adversarial), ${skipped} skipped (in flight past ${MAX_IN_FLIGHT})`,
  );
  console.log(`acknowledged (201): ${acked.length}; stored: ${stored}; lost: ${acked.length - stored} (target 0)`);
  const codes = new Map<string, number>();
  for (const a of fast503) codes.set(a.code ?? '-', (codes.get(a.code ?? '-') ?? 0) + 1);
  console.log(
    `503 within ${FAST_503_MS} ms: ${fast503.length} (during the outage: ${fast503.filter((a) => a.at >= downAt - 1_000 && a.at <= backAt + 10_000).length}; ` +
      `by code: ${[...codes].map(([c, n]) => `${c} x${n}`).join(', ')})`,
  );
  console.log(
    `other non-201 (5xx, slow 503, 4xx, no answer): ${bad.length} (target 0)${bad.length ? `: ${[...byKind].map(([k, n]) => `${k} x${n}`).join(', ')}` : ''}`,
  );
  // a call that overlapped the outage or the 10 s after it waited for the database (a commit
  // held until it was back, a pool connection being made again): counted apart
  const nearOutage = (a: Answer) => a.at + a.ms >= downAt - 1_000 && a.at <= backAt + 10_000;
  const slowest = (xs: Answer[]) => (xs.length ? `${Math.max(...xs.map((a) => a.ms))} ms` : '-');
  console.log(
    `adversarial calls: ${adversarial.filter((a) => a.status === 201).length}/${adversarial.length} acknowledged, ` +
      `slowest ${slowest(adversarial.filter((a) => !nearOutage(a)))} ` +
      `(${slowest(adversarial.filter(nearOutage))} for the ${adversarial.filter(nearOutage).length} around the outage)`,
  );
  console.log(
    `recovery: first 201 ${Number.isFinite(firstAfter) ? `${firstAfter - backAt} ms` : 'never'} after the database was back (target < 10000 ms)`,
  );
  console.log(`/healthz (every 100 ms throughout): longest answer ${longestHealthz} ms, ${healthzFailures} failed`);
  if (after.length >= 2) {
    const first = after[0]!;
    const last = after.at(-1)!;
    const peak = Math.max(...after.map((r) => r.rss));
    console.log(
      `RSS after warm-up: ${first.rss.toFixed(1)} -> ${last.rss.toFixed(1)} MB (peak ${peak.toFixed(1)} MB); heap ${first.heap.toFixed(1)} -> ${last.heap.toFixed(1)} MB`,
    );
  }
  console.log(
    `server log: ${log.lines} lines, ${(log.bytes / 2 ** 20).toFixed(1)} MB; ${log.other} other than request lines: ` +
      [...log.otherSamples]
        .sort((a, b) => b[1] - a[1])
        .slice(0, 6)
        .map(([m, n]) => `"${m}" x${n}`)
        .join(', '),
  );
} finally {
  server.kill('SIGTERM');
  await new Promise((r) => setTimeout(r, 1500));
  await cluster.stop();
  await rm(dir, { recursive: true, force: true });
}
