/**
 * npm run bench:search — 1,000,000 realistic rows across 20 projects (bulk-loaded in SQL with a
 * progress bar), then 200 representative searches through the same query module the API uses
 * (rare word, common word, phrase, stemmed word, filters incl. decision/endpoint/user/flag/outcome,
 * deep page). Prints p50/p95/max.
 *
 * BENCH_SEARCH_DB=<url of a database an earlier run loaded> skips the load and times the searches
 * again, e.g. after a change to the query module or an index (a run on BENCH_DATABASE_URL's server
 * leaves its database there and prints its URL).
 */
import { searchLogs } from '../src/db/queries/logSearch.js';
import { createPrisma } from '../src/db/prisma.js';
import type { LogSearchQuery } from '../src/validators/logValidators.js';
import { benchDatabase, percentile, progress } from './lib.js';

const ROWS = Number(process.env.BENCH_ROWS ?? 1_000_000);
const PROJECTS = 20;
const CHUNK = 50_000;

const reuse = process.env.BENCH_SEARCH_DB;
const db = reuse ? { url: reuse, close: async () => {} } : await benchDatabase('bench_search');
const prisma = createPrisma(db.url, 4);
try {
  const projectIds = reuse ? await loadedProjects() : await load();
  const now = Date.now();
  const kinds: [string, (p: string) => Partial<LogSearchQuery>][] = [
    ['rare word', () => ({ q: 'zanzibar' })],
    ['common word', () => ({ q: 'invoice' })],
    ['phrase', () => ({ q: '"the contract about refund"' })],
    ['word + filters', () => ({ q: 'security', model: 'gpt-4o', status: 'success', minRisk: 50 })],
    ['filters only, 24h', () => ({ from: new Date(now - 86_400_000), to: new Date(now), maxRisk: 20 })],
    ['sort by latency', () => ({ sort: 'latencyMs', order: 'desc' })],
    ['deep page', () => ({ page: 200, limit: 50 })],
    ['word excluded', () => ({ q: 'draft -refund' })],
    ['stemmed word', () => ({ q: 'translating' })],
    ['decision+endpoint+user', () => ({ decision: 'allow', endpoint: 'chat', userId: 'user-40' })],
    ['flag', () => ({ flag: 'injection:override' })],
    ['refused', () => ({ outcome: 'refused' })],
  ];
  const timings = new Map<string, number[]>();
  for (let i = 0; i < 200; i++) {
    const [name, make] = kinds[i % kinds.length]!;
    const projectId = projectIds[i % PROJECTS]!;
    const q = { projectId, page: 1, limit: 20, sort: 'createdAt', order: 'desc', ...make(projectId) } as LogSearchQuery;
    const started = performance.now();
    await searchLogs(prisma, q);
    const list = timings.get(name) ?? [];
    list.push(performance.now() - started);
    timings.set(name, list);
  }
  const all = [...timings.values()].flat().sort((a, b) => a - b);
  const fmt = (v: number) => v.toFixed(1).padStart(8);
  console.log(`\n${'search'.padEnd(22)}${'p50 ms'.padStart(8)}${'p95 ms'.padStart(8)}${'max ms'.padStart(8)}`);
  for (const [name, list] of timings) {
    const s = list.sort((a, b) => a - b);
    console.log(`${name.padEnd(22)}${fmt(percentile(s, 0.5))}${fmt(percentile(s, 0.95))}${fmt(s.at(-1)!)}`);
  }
  console.log(
    `${'ALL (200)'.padEnd(22)}${fmt(percentile(all, 0.5))}${fmt(percentile(all, 0.95))}${fmt(all.at(-1)!)}   target p95 <= 50 ms`,
  );
  if (process.env.BENCH_DATABASE_URL && !reuse) console.error(`the loaded database stays: BENCH_SEARCH_DB=${db.url}`);
} finally {
  await prisma.$disconnect();
  await db.close();
}

/** The projects of a database an earlier run loaded (BENCH_SEARCH_DB). */
async function loadedProjects(): Promise<string[]> {
  const rows = await prisma.project.findMany({ where: { name: { startsWith: 'p' } }, orderBy: { name: 'asc' } });
  const ids = rows.sort((a, b) => Number(a.name.slice(1)) - Number(b.name.slice(1))).map((p) => p.id);
  if (ids.length !== PROJECTS) throw new Error(`BENCH_SEARCH_DB holds ${ids.length} projects, not ${PROJECTS}`);
  console.error(`reusing the rows loaded in ${reuse}`);
  return ids;
}

/** 1,000,000 rows across the projects, in SQL. */
async function load(): Promise<string[]> {
  const user = await prisma.user.create({ data: { email: `bench-${Date.now()}@example.com`, passwordHash: 'x' } });
  const projectIds: string[] = [];
  for (let i = 0; i < PROJECTS; i++) {
    projectIds.push((await prisma.project.create({ data: { ownerId: user.id, name: `p${i}` } })).id);
  }
  // Words drawn with a skewed distribution: a few very common, a long tail of rare ones.
  const loadStarted = Date.now();
  for (let done = 0; done < ROWS; done += CHUNK) {
    const n = Math.min(CHUNK, ROWS - done);
    await prisma.$executeRawUnsafe(
      `INSERT INTO llm_requests (id, "projectId", model, "effectiveModel", endpoint, "endUserId", prompt, response,
         "latencyMs", "promptTokens", "completionTokens", "totalTokens", status, "riskScore", "riskLevel", "riskFlags",
         decision, "costUsd", "createdAt", outcome, "refusalReason")
       SELECT 'b' || lpad(g::text, 9, '0'),
         ($1::text[])[1 + (g % ${PROJECTS})],
         (ARRAY['gpt-4o','gpt-4o-mini','claude-3-5-sonnet','gemini-1.5-flash','llama-3.1-70b'])[1 + (g * 7 % 5)],
         'gpt-4o', (ARRAY['chat','search','summarize','support'])[1 + (g % 4)], 'user-' || (g % 997),
         'please ' || (ARRAY['summarise','translate','explain','draft','review','classify'])[1 + (g % 6)] || ' the '
           || (ARRAY['invoice','contract','ticket','report','email','policy','roadmap'])[1 + (g * 13 % 7)]
           || ' about ' || (ARRAY['shipping','refund','pricing','onboarding','security','billing','latency'])[1 + (g * 17 % 7)]
           || ' reference ' || md5(g::text) || CASE WHEN g % 10007 = 0 THEN ' zanzibar' ELSE '' END,
         'here is the ' || (ARRAY['summary','translation','explanation','draft','review'])[1 + (g % 5)]
           || ' you asked for, covering the main points and next steps',
         50 + (g * 31 % 4000), 100 + g % 500, 50 + g % 300, 150 + g % 800,
         CASE WHEN g % 20 = 0 THEN 'error'::"RequestStatus" ELSE 'success'::"RequestStatus" END,
         (g * 37) % 101, 'low'::"RiskLevel",
         CASE WHEN g % 97 = 0 THEN ARRAY['injection:override'] ELSE ARRAY[]::text[] END,
         CASE WHEN g % 97 = 0 THEN 'flag'::"Decision" ELSE 'allow'::"Decision" END, 0.001,
         -- spread over the last 30 days, newest last (as ingestion writes them)
         (now() AT TIME ZONE 'UTC') - ((($4::bigint - g) * 2592000 / $4::bigint) || ' seconds')::interval,
         CASE WHEN g % 501 = 0 THEN 'refused' ELSE 'accepted' END,
         CASE WHEN g % 501 = 0 THEN 'endpoint_disabled' END
       FROM (SELECT $2::int + s AS g FROM generate_series(1, $3::int) AS s) AS rows_`,
      projectIds,
      done,
      n,
      ROWS,
    );
    progress('loading', done + n, ROWS);
  }
  // What autovacuum does to a loaded table: statistics and the visibility map (index-only counts).
  await prisma.$executeRawUnsafe('VACUUM (ANALYZE) llm_requests');
  console.error(`loaded ${ROWS.toLocaleString()} rows in ${((Date.now() - loadStarted) / 1000).toFixed(1)} s`);

  return projectIds;
}
