/**
 * npm run bench:metrics — how fast /metrics answers from rollups, against the same answers
 * computed with a raw GROUP BY over llm_requests, on 1,000,000 requests over 30 days in 20
 * projects. Self-contained: a throw-away embedded PostgreSQL in a temp dir (or a scratch database
 * on the server of BENCH_DATABASE_URL, dropped afterwards), migrations applied, rows generated in
 * SQL, rollups built by the repair job's SQL. Prints a table; exits 1 if the answers disagree.
 *
 * BENCH_ROWS, BENCH_ITERATIONS and BENCH_RAW_ITERATIONS change the sizes; BENCH_KEEP=1 keeps the
 * scratch database (and its server) for a look with psql.
 */
import { chmod, mkdtemp } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { isDeepStrictEqual } from 'node:util';
import pg from 'pg';
import { ensureDatabase, withDatabase } from '../src/db/database.js';
import { removeCluster, startEmbeddedPostgres } from '../src/db/embeddedPostgres.js';
import { createPrisma, type PrismaClient } from '../src/db/prisma.js';
import { rawAggregates, rollupAggregates } from '../src/db/queries/metricsQueries.js';
import { rebuildRollups } from '../src/db/queries/rollupQueries.js';
import { applyMigrations } from '../src/db/schemaEngine.js';
import { buildMetricsReport } from '../src/domain/metrics/metricsReport.js';
import type { MetricsRange } from '../src/validators/metricsValidators.js';

const ROWS = Number(process.env.BENCH_ROWS ?? 1_000_000);
const PROJECTS = 20;
const DAYS = 30;
const CHUNK = 50_000;
const ITERATIONS = Number(process.env.BENCH_ITERATIONS ?? 60);
const RAW_ITERATIONS = Number(process.env.BENCH_RAW_ITERATIONS ?? 20);
const TARGET_P95_MS = 50;
const DAY_MS = 86_400_000;

const log = (message: string) => process.stderr.write(`${message}\n`);

function progress(label: string, done: number, total: number, started: number): void {
  const width = 30;
  const filled = Math.round((done / total) * width);
  const rate = done / Math.max((performance.now() - started) / 1000, 0.001);
  const line = `${label} [${'#'.repeat(filled)}${'.'.repeat(width - filled)}] ${((done / total) * 100).toFixed(0).padStart(3)}% ${done.toLocaleString('en-US')} rows, ${Math.round(rate).toLocaleString('en-US')} rows/s`;
  if (process.stderr.isTTY) process.stderr.write(`\r${line}${done === total ? '\n' : ''}`);
  else if (done === total || done % (CHUNK * 4) === 0) log(line);
}

/** A scratch database: on BENCH_DATABASE_URL's server, or in a new embedded cluster. */
async function openScratchDatabase(): Promise<{ url: string; close: () => Promise<void> }> {
  const name = `llmguard_bench_${process.pid}`;
  const external = process.env.BENCH_DATABASE_URL;
  if (external) {
    await ensureDatabase(external, name);
    return {
      url: withDatabase(external, name),
      close: async () => {
        const admin = new pg.Client({ connectionString: external });
        await admin.connect();
        await admin.query(`DROP DATABASE IF EXISTS "${name}" WITH (FORCE)`);
        await admin.end();
      },
    };
  }
  const dir = await mkdtemp(path.join(os.tmpdir(), 'llmguard-bench-pg-'));
  await chmod(dir, 0o755); // as root, PostgreSQL runs as the postgres user, who must enter it
  log(`starting a throw-away embedded PostgreSQL in ${dir}`);
  const server = await startEmbeddedPostgres({ dataDir: dir, port: 0, log });
  await ensureDatabase(server.url, name);
  return {
    url: withDatabase(server.url, name),
    close: async () => {
      await server.stop();
      await removeCluster(dir);
    },
  };
}

/** 20 projects of one owner; returns their ids. */
async function createProjects(prisma: PrismaClient): Promise<string[]> {
  const owner = await prisma.user.create({ data: { email: 'bench@example.com', passwordHash: 'x' } });
  const ids: string[] = [];
  for (let i = 0; i < PROJECTS; i++) {
    ids.push((await prisma.project.create({ data: { ownerId: owner.id, name: `bench ${i}` } })).id);
  }
  return ids;
}

/**
 * Generates rows in SQL, CHUNK per statement: 5 models (one unpriced), 4 endpoints (one none),
 * 5 % errors, log-uniform latency 1 ms - 20 s, skewed risk, uniform over [t0, t0 + 30 days).
 */
async function loadRows(prisma: PrismaClient, projectIds: string[], t0: Date): Promise<number> {
  const started = performance.now();
  // The usual bulk load: indexes are dropped first and built once at the end (same definitions).
  const indexes = await prisma.$queryRaw<{ name: string; definition: string }[]>`
    SELECT indexname AS name, indexdef AS definition FROM pg_indexes
    WHERE tablename = 'llm_requests' AND indexname <> 'llm_requests_pkey'`;
  // The primary key as the schema has it: ("id", "createdAt") since llm_requests is partitioned.
  const [pkey] = await prisma.$queryRaw<{ definition: string }[]>`
    SELECT pg_get_constraintdef(oid) AS definition FROM pg_constraint
    WHERE conrelid = 'llm_requests'::regclass AND conname = 'llm_requests_pkey'`;
  for (const index of indexes) await prisma.$executeRawUnsafe(`DROP INDEX "${index.name}"`);
  await prisma.$executeRawUnsafe('ALTER TABLE llm_requests DROP CONSTRAINT llm_requests_pkey');
  for (let first = 0; first < ROWS; first += CHUNK) {
    const last = Math.min(first + CHUNK, ROWS) - 1;
    await prisma.$executeRaw`
      INSERT INTO llm_requests (id, "projectId", model, "effectiveModel", endpoint, "endUserId", prompt, response,
        "latencyMs", "promptTokens", "completionTokens", "totalTokens", status, "riskScore", "riskLevel",
        "riskFlags", decision, "costUsd", "createdAt")
      SELECT gen_random_uuid()::text, pid, model, model, endpoint, 'user-' || (g % 500), 'bench prompt ' || (g % 997),
        'bench response', latency, pt, ct, pt + ct,
        (CASE WHEN rs < 0.05 THEN 'error' ELSE 'success' END)::"RequestStatus", risk,
        (CASE WHEN risk >= 85 THEN 'critical' WHEN risk >= 60 THEN 'high' WHEN risk >= 30 THEN 'medium'
          ELSE 'low' END)::"RiskLevel", '{}', 'allow',
        CASE WHEN mi = 5 THEN NULL
          ELSE round(((pt * (ARRAY[2.5, 0.15, 3, 0.1])[mi] + ct * (ARRAY[10, 0.6, 15, 0.4])[mi]) / 1e6)::numeric, 8)::float8
        END,
        date_trunc('milliseconds', ts)
      FROM (
        SELECT g, (${projectIds}::text[])[1 + g % ${PROJECTS}] AS pid, mi,
          (ARRAY['gpt-4o', 'gpt-4o-mini', 'claude-3-5-sonnet', 'gemini-2.0-flash', 'acme-private-llm'])[mi] AS model,
          (ARRAY['chat', 'search', 'summarize', NULL])[1 + floor(random() * 4)::int] AS endpoint,
          random() AS rs, exp(random() * ln(20000))::int AS latency,
          floor(random() * 2000)::int AS pt, floor(random() * 800)::int AS ct,
          (power(random(), 3) * 100)::int AS risk,
          ${t0.toISOString()}::timestamptz AT TIME ZONE 'UTC' + random() * ${DAYS}::int * interval '1 day' AS ts
        FROM generate_series(${first}::int, ${last}::int) AS g, LATERAL (SELECT 1 + floor(random() * 5)::int AS mi) m
      ) src`;
    progress('loading', last + 1, ROWS, started);
  }
  log(`building ${indexes.length + 1} indexes`);
  await prisma.$transaction(
    async (tx) => {
      await tx.$executeRawUnsafe("SET LOCAL maintenance_work_mem = '256MB'");
      await tx.$executeRawUnsafe(`ALTER TABLE llm_requests ADD CONSTRAINT llm_requests_pkey ${pkey!.definition}`);
      for (const index of indexes) await tx.$executeRawUnsafe(index.definition);
    },
    { timeout: 600_000 },
  );
  return performance.now() - started;
}

interface Scenario {
  name: string;
  range: MetricsRange;
}

const percentileOf = (samples: number[], p: number) => {
  const sorted = [...samples].sort((a, b) => a - b);
  return sorted[Math.max(0, Math.ceil(p * sorted.length) - 1)] ?? NaN;
};

async function time(
  iterations: number,
  projectIds: string[],
  fn: (projectId: string) => Promise<unknown>,
): Promise<{ p50: number; p95: number }> {
  for (let i = 0; i < 3; i++) await fn(projectIds[i % projectIds.length]!); // warm-up
  const samples: number[] = [];
  for (let i = 0; i < iterations; i++) {
    const started = performance.now();
    await fn(projectIds[i % projectIds.length]!);
    samples.push(performance.now() - started);
  }
  return { p50: percentileOf(samples, 0.5), p95: percentileOf(samples, 0.95) };
}

/** Equal up to float summation order in costs. */
function agree(a: unknown, b: unknown): boolean {
  const normalise = (value: unknown): unknown =>
    JSON.parse(JSON.stringify(value), (_k, v: unknown) => (typeof v === 'number' ? Math.round(v * 1e6) / 1e6 : v));
  return isDeepStrictEqual(normalise(a), normalise(b));
}

async function main(): Promise<number> {
  const db = await openScratchDatabase();
  const prisma = createPrisma(db.url, 4);
  try {
    log('applying migrations');
    await applyMigrations(db.url);
    const projectIds = await createProjects(prisma);
    const end = new Date(Math.ceil(Date.now() / DAY_MS) * DAY_MS);
    const t0 = new Date(end.getTime() - DAYS * DAY_MS);

    const loadMs = await loadRows(prisma, projectIds, t0);
    let started = performance.now();
    const built = await prisma.$transaction((tx) => rebuildRollups(tx, t0, end), { timeout: 600_000 });
    const rollupMs = performance.now() - started;
    started = performance.now();
    await prisma.$executeRawUnsafe('VACUUM ANALYZE llm_requests');
    await prisma.$executeRawUnsafe('VACUUM ANALYZE metric_rollups');
    const vacuumMs = performance.now() - started;
    log(`rollups built: ${built.inserted.toLocaleString('en-US')} rows in ${(rollupMs / 1000).toFixed(1)} s`);

    const scenarios: Scenario[] = [
      { name: '30 days by day', range: { from: t0, to: end, granularity: 'day' } },
      { name: '30 days by hour', range: { from: t0, to: end, granularity: 'hour' } },
      { name: '24 hours by hour', range: { from: new Date(end.getTime() - DAY_MS), to: end, granularity: 'hour' } },
    ];
    const fromRollups = async (projectId: string, range: MetricsRange) =>
      buildMetricsReport(await rollupAggregates(prisma, projectId, range), range);
    const fromRaw = async (projectId: string, range: MetricsRange) =>
      buildMetricsReport(await rawAggregates(prisma, projectId, range), range);

    const loadBefore = os.loadavg()[0] ?? 0;
    const results = [];
    let allAgree = true;
    for (const scenario of scenarios) {
      log(`timing ${scenario.name}`);
      let agreed = true;
      for (const projectId of projectIds) {
        const [a, b] = await Promise.all([fromRollups(projectId, scenario.range), fromRaw(projectId, scenario.range)]);
        if (!agree(a, b)) agreed = false;
      }
      allAgree &&= agreed;
      const rollup = await time(ITERATIONS, projectIds, (id) => fromRollups(id, scenario.range));
      const raw = await time(RAW_ITERATIONS, projectIds, (id) => fromRaw(id, scenario.range));
      results.push({ scenario, rollup, raw, agreed });
    }

    const ms = (v: number) => `${v.toFixed(1)} ms`;
    const rows = [
      ['query (one project)', 'rollups p50', 'rollups p95', 'raw p50', 'raw p95', 'speed-up (p50)', 'answers agree'],
      ...results.map((r) => [
        r.scenario.name,
        ms(r.rollup.p50),
        ms(r.rollup.p95),
        ms(r.raw.p50),
        ms(r.raw.p95),
        `${(r.raw.p50 / r.rollup.p50).toFixed(1)}x`,
        r.agreed ? 'yes (all 20 projects)' : 'NO',
      ]),
    ];
    const widths = rows[0]!.map((_, i) => Math.max(...rows.map((r) => r[i]!.length)));
    console.log(
      `\n${ROWS.toLocaleString('en-US')} requests, ${PROJECTS} projects, ${DAYS} days; ` +
        `load ${(loadMs / 1000).toFixed(1)} s (${Math.round(ROWS / (loadMs / 1000)).toLocaleString('en-US')} rows/s), ` +
        `rollup build ${(rollupMs / 1000).toFixed(1)} s -> ${built.inserted.toLocaleString('en-US')} rollup rows, ` +
        `vacuum analyze ${(vacuumMs / 1000).toFixed(1)} s; ${ITERATIONS} rollup / ${RAW_ITERATIONS} raw timed runs each; ` +
        `load average ${loadBefore.toFixed(1)} -> ${(os.loadavg()[0] ?? 0).toFixed(1)} on ${os.cpus().length} CPUs\n`,
    );
    for (const row of rows) console.log(row.map((cell, i) => cell.padEnd(widths[i]!)).join('  '));
    const worst = Math.max(...results.map((r) => r.rollup.p95));
    console.log(
      `\ntarget p95 <= ${TARGET_P95_MS} ms from rollups: ${worst <= TARGET_P95_MS ? 'met' : 'MISSED'} (worst ${ms(worst)})`,
    );
    return allAgree ? 0 : 1;
  } finally {
    await prisma.$disconnect();
    if (process.env.BENCH_KEEP) log(`kept the scratch database: ${db.url}`);
    else await db.close();
  }
}

main().then(
  (code) => process.exit(code),
  (err: unknown) => {
    console.error(err);
    process.exit(1);
  },
);
