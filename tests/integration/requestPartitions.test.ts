/**
 * llm_requests partitioned by month of "createdAt": the migration converts a table that holds
 * rows without losing one, log search and usage queries visit only the partitions of their time
 * range (EXPLAIN), retention drops whole months while rows a longer plan still keeps survive,
 * and Prisma's schema diff does not try to undo the partitioning.
 */
import { cp, mkdtemp, readdir, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import pg from 'pg';
import { Prisma } from '../../src/generated/prisma/client.js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { PLANS, type PlanConfig } from '../../src/config/plans.js';
import { searchLogs } from '../../src/db/queries/logSearch.js';
import { riskLevelCounts, topEndUsers } from '../../src/db/queries/usageQueries.js';
import { createPrisma, type PrismaClient } from '../../src/db/prisma.js';
import {
  MIGRATIONS_DIR,
  applyMigrations,
  diffMigrationsToSchema,
  schemaChangeBlocks,
} from '../../src/db/schemaEngine.js';
import { applyRawLogRetention } from '../../src/services/analytics/logRetentionService.js';
import { ensureRequestPartitions, monthStart } from '../../src/services/analytics/requestPartitions.js';
import { logSearchQuery } from '../../src/validators/logValidators.js';
import { createDatabase, serverUrl } from '../helpers/testDb.js';

/** Plans as sold through Stripe (the test environment has no Stripe key: self-hosted, unlimited). */
const STRIPE_PLANS: PlanConfig = { plans: PLANS, pastDueGraceDays: 7, selfHosted: null };
const PARTITIONING = '20261204155503_llm_requests_partitions';
const DAY = 86_400_000;
const now = new Date();
let db: { url: string; drop: () => Promise<void> };
let client: pg.Client;
let prisma: PrismaClient;
let migrationsBefore: string;

beforeAll(async () => {
  db = await createDatabase(false);
  // The migrations before the partitioning one, applied first: the table then holds rows.
  migrationsBefore = await mkdtemp(path.join(os.tmpdir(), 'llmguard-migrations-'));
  for (const name of await readdir(MIGRATIONS_DIR)) {
    if (name < PARTITIONING || name === 'migration_lock.toml') {
      await cp(path.join(MIGRATIONS_DIR, name), path.join(migrationsBefore, name), { recursive: true });
    }
  }
  client = new pg.Client({ connectionString: db.url });
  await client.connect();
  prisma = createPrisma(db.url, 3);
});
afterAll(async () => {
  await client?.end();
  await prisma?.$disconnect();
  await db?.drop();
  await rm(migrationsBefore, { recursive: true, force: true });
});

const fingerprint = async () =>
  (
    await client.query<{ n: number; md5: string; words: number }>(`
      SELECT count(*)::int AS n,
        md5(string_agg(id || '|' || "createdAt"::text || '|' || prompt || '|' || "projectId", ',' ORDER BY id)) AS md5,
        (SELECT count(*)::int FROM llm_requests WHERE search @@ websearch_to_tsquery('simple', 'zebra')) AS words
      FROM llm_requests`)
  ).rows[0]!;

async function explain(sql: Prisma.Sql): Promise<string> {
  const res = await client.query<{ 'QUERY PLAN': string }>(`EXPLAIN ${sql.text}`, sql.values as unknown[]);
  return res.rows.map((r) => r['QUERY PLAN']).join('\n');
}

/** The SQL a query function sends, recorded instead of run. */
function recorder() {
  const sent: Prisma.Sql[] = [];
  const record = (strings: TemplateStringsArray | Prisma.Sql, ...values: unknown[]) => {
    sent.push(strings instanceof Prisma.Sql ? strings : Prisma.sql(strings, ...values));
    return Promise.resolve([]);
  };
  const fake = {
    $queryRaw: record,
    $executeRaw: (strings: TemplateStringsArray, ...values: unknown[]) => {
      sent.push(Prisma.sql(strings, ...values));
      return Promise.resolve(0);
    },
    $transaction: (ops: Promise<unknown>[]) => Promise.all(ops),
  };
  return { sent, db: fake as unknown as PrismaClient };
}

const partitionsIn = (plan: string) => [...new Set(plan.match(/llm_requests_(p\d{6}|default)/g) ?? [])].sort();

describe('llm_requests partitioned by month', () => {
  it('should convert a table with rows without losing any, and keep full-text search working', async () => {
    await applyMigrations(db.url, undefined, migrationsBefore);
    await client.query(
      `INSERT INTO users (id, email, "passwordHash", "updatedAt") VALUES ('u1', 'p@x.io', 'h', now()), ('u2', 'q@x.io', 'h', now())`,
    );
    await client.query(
      `INSERT INTO projects (id, "ownerId", name, "updatedAt") VALUES ('pfree', 'u1', 'free', now()), ('pent', 'u2', 'ent', now())`,
    );
    await client.query(
      `INSERT INTO subscriptions (id, "userId", plan, "updatedAt") VALUES ('s2', 'u2', 'enterprise', now())`,
    );
    // 3,000 rows from 20 months ago to 2 months ahead: the oldest and the furthest ahead end up in the default partition.
    await client.query(`
      INSERT INTO llm_requests (id, "projectId", model, "effectiveModel", prompt, "latencyMs", "riskScore", "riskLevel", decision, "createdAt")
      SELECT 'r' || g, CASE WHEN g % 2 = 0 THEN 'pfree' ELSE 'pent' END, 'gpt-4o', 'gpt-4o',
        CASE WHEN g % 10 = 0 THEN 'zebra crossing ' ELSE 'plain ' END || g, 10, 0, 'low', 'allow',
        (now() AT TIME ZONE 'UTC') - interval '600 days' + g * interval '5 hours 20 minutes'
      FROM generate_series(1, 3000) g`);
    const before = await fingerprint();
    expect(before.n).toBe(3000);

    const applied = await applyMigrations(db.url);
    expect(applied).toContain(PARTITIONING);
    const after = await fingerprint();
    expect(after).toEqual(before);
    const kinds = await client.query<{ relkind: string }>(
      `SELECT relkind FROM pg_class WHERE relname = 'llm_requests'`,
    );
    expect(kinds.rows[0]!.relkind).toBe('p');
    const parts = await client.query<{ name: string; n: number }>(`
      SELECT c.relname AS name, (SELECT count(*)::int FROM llm_requests r WHERE r.tableoid = c.oid) AS n
      FROM pg_inherits i JOIN pg_class c ON c.oid = i.inhrelid WHERE i.inhparent = 'llm_requests'::regclass ORDER BY 1`);
    const names = parts.rows.map((r) => r.name);
    expect(names).toContain(`llm_requests_p${monthStart(now).slice(0, 7).replace('-', '')}`);
    expect(names).toContain(`llm_requests_p${monthStart(now, 1).slice(0, 7).replace('-', '')}`);
    expect(names).toContain('llm_requests_default');
    expect(parts.rows.find((r) => r.name === 'llm_requests_default')!.n).toBeGreaterThan(0);
    expect(parts.rows.reduce((s, r) => s + r.n, 0)).toBe(3000);

    // Start-up and cron: the months ahead are created once, the rows of a new month already in the
    // default partition move into it.
    const created = await ensureRequestPartitions(prisma, { monthsAhead: 3 });
    expect(created).toEqual([
      `llm_requests_p${monthStart(now, 2).slice(0, 7).replace('-', '')}`,
      `llm_requests_p${monthStart(now, 3).slice(0, 7).replace('-', '')}`,
    ]);
    expect(await ensureRequestPartitions(prisma, { monthsAhead: 3 })).toEqual([]);
    expect(await fingerprint()).toEqual(before);
  });

  it('should prune log search and usage queries to the months of their range', async () => {
    const from = new Date(Date.parse(monthStart(now, -1)) + 2 * DAY);
    const to = new Date(from.getTime() + 3 * DAY);
    const lastMonth = `llm_requests_p${monthStart(now, -1).slice(0, 7).replace('-', '')}`;
    const queries: Prisma.Sql[] = [];
    for (const extra of [{}, { q: 'zebra' }, { model: 'gpt-4o', sort: 'latencyMs' }]) {
      const r = recorder();
      await searchLogs(
        r.db,
        logSearchQuery.parse({ projectId: 'pent', from: from.toISOString(), to: to.toISOString(), ...extra }),
      );
      queries.push(...r.sent.filter((s) => s.text.includes('llm_requests')));
    }
    const r = recorder();
    await topEndUsers(r.db, 'pent', { from, to, granularity: 'hour' }, 10);
    await riskLevelCounts(r.db, 'pent', { from, to, granularity: 'hour' });
    queries.push(...r.sent);
    expect(queries.length).toBeGreaterThanOrEqual(5);
    for (const sql of queries) {
      const plan = await explain(sql);
      expect(partitionsIn(plan), `${sql.text}\n${plan}`).toEqual([lastMonth]);
    }
    // Without a time bound every month is visited (the reason the partitions are monthly, not daily).
    const unbounded = recorder();
    await searchLogs(unbounded.db, logSearchQuery.parse({ projectId: 'pent' }));
    expect(partitionsIn(await explain(unbounded.sent[0]!)).length).toBeGreaterThan(10);
  });

  it("should find one end user's calls in the search index, with or without words", async () => {
    // 20,000 rows this month, 500 end users, 4 endpoints, 5 models (rolled back afterwards).
    await client.query('BEGIN');
    try {
      await client.query(`
        INSERT INTO llm_requests (id, "projectId", model, "effectiveModel", endpoint, "endUserId", prompt, "latencyMs",
          "riskScore", "riskLevel", decision, "createdAt")
        SELECT 'f' || g, 'pent', 'model-' || (g % 5), 'gpt-4o', 'ep-' || (g % 4), 'u-' || (g % 500),
          'plain words ' || CASE WHEN g % 7 = 0 THEN 'zebra' ELSE 'horse' END, 10, 0, 'low',
          CASE WHEN g % 50 = 0 THEN 'flag'::"Decision" ELSE 'allow'::"Decision" END,
          (now() AT TIME ZONE 'UTC') - g * interval '1 second'
        FROM generate_series(1, 20000) g`);
      await client.query('ANALYZE llm_requests');
      const r = recorder();
      await searchLogs(
        r.db,
        logSearchQuery.parse({
          projectId: 'pent',
          q: 'zebra',
          model: 'model-2',
          endpoint: 'ep-2',
          userId: 'u-7',
          decision: 'flag',
        }),
      );
      // Words and filters: the collect step; filters alone: the page and the count.
      await searchLogs(
        r.db,
        logSearchQuery.parse({ projectId: 'pent', endpoint: 'ep-2', userId: 'u-7', decision: 'flag' }),
      );
      const plans = await Promise.all(r.sent.filter((s) => s.text.includes('"endUserId" =')).map(explain));
      expect(plans.length).toBeGreaterThanOrEqual(3);
      for (const plan of plans) {
        const conds = plan.split('\n').filter((l) => l.includes('Index Cond') && l.includes('"endUserId" ='));
        expect(conds.length, plan).toBeGreaterThan(0);
        const keys = plan.includes('search @@') ? ['"projectId" =', 'search @@'] : ['"projectId" ='];
        for (const cond of conds) for (const key of keys) expect(cond, plan).toContain(key);
      }
    } finally {
      await client.query('ROLLBACK');
    }
  });

  it('should drop whole months past the longest plan retention and keep what a longer plan keeps', async () => {
    await ensureRequestPartitions(prisma, { monthsBack: 14 });
    const count = (project: string, olderThanDays: number) =>
      client
        .query<{ n: number }>(
          `SELECT count(*)::int AS n FROM llm_requests WHERE "projectId" = $1 AND "createdAt" < (now() AT TIME ZONE 'UTC') - make_interval(days => $2)`,
          [project, olderThanDays],
        )
        .then((res) => res.rows[0]!.n);
    expect(await count('pent', 40)).toBeGreaterThan(0);
    const entBetween = (await count('pent', 40)) - (await count('pent', 365));
    expect(entBetween).toBeGreaterThan(0);

    // Self-hosted and unlimited (this environment: no Stripe key): nothing is dropped or deleted.
    expect(await applyRawLogRetention(prisma, now)).toMatchObject({ deleted: 0, droppedPartitions: [] });
    expect((await count('pent', 40)) - (await count('pent', 365))).toBe(entBetween);
    const result = await applyRawLogRetention(prisma, now, 10_000, STRIPE_PLANS);
    // Enterprise (365 days) is the longest plan here: the months that ended before now - 365 days went whole.
    const oldest = monthStart(new Date(now.getTime() - 400 * DAY))
      .slice(0, 7)
      .replace('-', '');
    expect(result.droppedPartitions).toContain(`llm_requests_p${oldest}`);
    expect(
      result.droppedPartitions.every(
        (p) =>
          p <
          `llm_requests_p${monthStart(new Date(now.getTime() - 365 * DAY))
            .slice(0, 7)
            .replace('-', '')}`,
      ),
    ).toBe(true);
    // The enterprise project keeps its year, the free one keeps 7 days (DELETE in the kept months).
    expect((await count('pent', 40)) - (await count('pent', 365))).toBe(entBetween);
    expect(await count('pent', 365)).toBe(0);
    expect(await count('pfree', 7)).toBe(0);

    // The enterprise owner moves to pro (30 days): the next run drops every month that ended 30+ days ago.
    await client.query(`UPDATE subscriptions SET plan = 'pro' WHERE id = 's2'`);
    const second = await applyRawLogRetention(prisma, now, 10_000, STRIPE_PLANS);
    expect(second.droppedPartitions.length).toBeGreaterThanOrEqual(10);
    expect(await count('pent', 31)).toBe(0);
  });

  it("should leave Prisma's schema diff with nothing to change on the partitioned table", async () => {
    const sql = await diffMigrationsToSchema(serverUrl());
    expect(sql).toMatch(/llm_requests_pkey/); // Prisma sees the composite primary key ...
    expect(schemaChangeBlocks(sql)).toEqual([]); // ... and db:new-migration leaves it to the hand-written SQL
  }, 120_000);
});
