/**
 * The log search index's pending list is merged by the server after committed batches, on the
 * real database: without the upkeep the list keeps what was inserted; with it nothing is left
 * pending, the rows are still found by a word, and a role that may not merge turns it off
 * instead of failing ingestion.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createPrisma } from '../../src/db/prisma.js';
import { IngestWriter, type LlmRequestRow } from '../../src/services/ingest/ingestWriter.js';
import {
  CLEAN_PENDING_SQL,
  registerSearchIndexUpkeep,
  SEARCH_INDEX,
} from '../../src/services/ingest/searchIndexUpkeep.js';
import { createProject, registerUser, type TestProject } from '../helpers/factories.js';
import { requestRow } from '../helpers/requestRows.js';
import { useTestApp } from '../helpers/testApp.js';

const ctx = useTestApp();
let project: TestProject;

beforeAll(async () => {
  project = await createProject(ctx.app, await registerUser(ctx.app));
});

function row(i: number, word: string): LlmRequestRow {
  return requestRow(project.id, {
    apiKeyId: project.apiKeyId,
    prompt: `Question ${i} about the ${word} shipment to warehouse ${i % 7} and its invoice`,
    response: `The ${word} shipment number ${i} left on time; the invoice follows by mail.`,
    latencyMs: 100 + i,
  });
}

/** Merges what is pending ourselves; the number of pages it moved is what was left pending. */
async function pendingPages(): Promise<number> {
  const [r] = await ctx.prisma.$queryRawUnsafe<{ pages: number }[]>(CLEAN_PENDING_SQL, SEARCH_INDEX);
  return r!.pages;
}

async function writeRows(writer: IngestWriter, word: string, count: number) {
  await Promise.all(Array.from({ length: count }, (_, i) => writer.write(row(i, word))));
  // Post-commit handlers start on the next turn of the event loop.
  await new Promise((resolve) => setImmediate(resolve));
}

const found = async (word: string) =>
  Number(
    (
      await ctx.prisma.$queryRawUnsafe<{ n: bigint }[]>(
        `SELECT count(*) AS n FROM llm_requests WHERE "projectId" = $1 AND search @@ (websearch_to_tsquery('english', $2) || websearch_to_tsquery('german', $2))`,
        project.id,
        word,
      )
    )[0]!.n,
  );

describe('search index upkeep', () => {
  it('should leave inserted entries pending when turned off (the control)', async () => {
    await pendingPages(); // start from an empty list
    const writer = new IngestWriter(ctx.prisma, { maxBatch: 20, maxWaitMs: 1 });
    const upkeep = registerSearchIndexUpkeep(writer, ctx.prisma, { cleanupChars: 0 });
    await writeRows(writer, 'marmalade', 300);
    await upkeep.settled();
    expect(upkeep.stats.cleanups).toBe(0);
    expect(await pendingPages()).toBeGreaterThan(0);
    expect(await found('marmalade')).toBe(300);
  });

  it('should merge the pending list after enough committed text, leaving nothing pending', async () => {
    await pendingPages();
    const writer = new IngestWriter(ctx.prisma, { maxBatch: 20, maxWaitMs: 1 });
    // About 150 characters a row: a merge every ~15 rows, so the last batch is merged too.
    const upkeep = registerSearchIndexUpkeep(writer, ctx.prisma, { cleanupChars: 1 });
    expect(registerSearchIndexUpkeep(writer, ctx.prisma, { cleanupChars: 1 })).toBe(upkeep);
    await writeRows(writer, 'quince', 300);
    await upkeep.settled();
    expect(upkeep.stats.failures).toBe(0);
    expect(upkeep.stats.cleanups).toBeGreaterThan(0);
    expect(upkeep.stats.pages).toBeGreaterThan(0);
    expect(await pendingPages()).toBe(0);
    expect(await found('quince')).toBe(300);
    expect(await found('quince -marmalade')).toBe(300);
  });

  it('should merge in batches of committed text, not after every batch', async () => {
    const writer = new IngestWriter(ctx.prisma, { maxBatch: 10, maxWaitMs: 1 });
    const upkeep = registerSearchIndexUpkeep(writer, ctx.prisma, { cleanupChars: 5_000 });
    for (let i = 0; i < 10; i++) await writeRows(writer, 'damson', 20);
    await upkeep.settled();
    // 200 rows of ~150 characters: ~30,000 characters, so about six merges for 20 batches.
    expect(writer.stats.batches).toBeGreaterThanOrEqual(20);
    expect(upkeep.stats.cleanups).toBeGreaterThanOrEqual(4);
    expect(upkeep.stats.cleanups).toBeLessThanOrEqual(7);
  });

  describe('as a role that does not own the index', () => {
    const role = `llmguard_upkeep_${process.pid}`;
    let limited: ReturnType<typeof createPrisma>;

    beforeAll(async () => {
      await ctx.prisma.$executeRawUnsafe(`CREATE ROLE ${role} LOGIN PASSWORD 'upkeep-test'`);
      await ctx.prisma.$executeRawUnsafe(`GRANT ALL ON ALL TABLES IN SCHEMA public TO ${role}`);
      const url = new URL(ctx.databaseUrl);
      url.username = role;
      url.password = 'upkeep-test';
      limited = createPrisma(url.toString(), 2);
    });
    afterAll(async () => {
      await limited.$disconnect();
      await ctx.prisma.$executeRawUnsafe(`DROP OWNED BY ${role}`);
      await ctx.prisma.$executeRawUnsafe(`DROP ROLE ${role}`);
    });

    it('should turn itself off after one refusal and keep every write acknowledged', async () => {
      const writer = new IngestWriter(limited, { maxBatch: 10, maxWaitMs: 1 });
      const upkeep = registerSearchIndexUpkeep(writer, limited, { cleanupChars: 1 });
      for (let i = 0; i < 3; i++) await writeRows(writer, 'greengage', 20);
      await upkeep.settled();
      expect(upkeep.stats.failures).toBe(1);
      expect(upkeep.stats.cleanups).toBe(0);
      expect(await found('greengage')).toBe(60);
    });
  });
});
