/**
 * Batching logic of the group-commit writer. The database is replaced by a recorder of the
 * statements it would run (the integration and durability suites use the real one).
 */
import { describe, expect, it } from 'vitest';
import type { PrismaClient } from '../../src/db/prisma.js';
import { IngestWriter, type LlmRequestRow } from '../../src/services/ingestWriter.js';
import { AppError } from '../../src/utils/AppError.js';

function recorder(options: { delayMs?: number; fail?: boolean } = {}) {
  const batches: LlmRequestRow[][] = [];
  const prisma = {
    async $executeRawUnsafe(_sql: string, json: string) {
      if (options.delayMs) await new Promise((r) => setTimeout(r, options.delayMs));
      if (options.fail) throw new Error('connection refused');
      const rows = JSON.parse(json) as LlmRequestRow[];
      batches.push(rows);
      return rows.length;
    },
  } as unknown as PrismaClient;
  return { prisma, batches };
}

let n = 0;
const row = (): LlmRequestRow =>
  ({ id: `r${++n}`, projectId: 'p', prompt: 'x', createdAt: new Date(), riskFlags: [] }) as unknown as LlmRequestRow;

describe('IngestWriter', () => {
  it('should commit concurrent writes as one batch and resolve only after the commit', async () => {
    const { prisma, batches } = recorder();
    const writer = new IngestWriter(prisma, { maxWaitMs: 5 });
    let resolved = 0;
    const writes = Array.from({ length: 50 }, () => writer.write(row()).then(() => resolved++));
    expect(resolved).toBe(0);
    await Promise.all(writes);
    expect(batches).toHaveLength(1);
    expect(batches[0]).toHaveLength(50);
  });

  it('should cut batches at maxBatch', async () => {
    const { prisma, batches } = recorder();
    const writer = new IngestWriter(prisma, { maxBatch: 10, maxWaitMs: 50 });
    await Promise.all(Array.from({ length: 25 }, () => writer.write(row())));
    expect(batches.map((b) => b.length)).toEqual([10, 10, 5]);
  });

  it('should fill the next batch while one commits', async () => {
    const { prisma, batches } = recorder({ delayMs: 30 });
    const writer = new IngestWriter(prisma, { maxWaitMs: 1 });
    const first = writer.write(row());
    await new Promise((r) => setTimeout(r, 10));
    const later = Array.from({ length: 5 }, () => writer.write(row()));
    await Promise.all([first, ...later]);
    expect(batches.map((b) => b.length)).toEqual([1, 5]);
  });

  it('should refuse with 503 and Retry-After beyond maxQueue', async () => {
    const { prisma } = recorder({ delayMs: 50 });
    const writer = new IngestWriter(prisma, { maxQueue: 3, maxWaitMs: 1 });
    const accepted = [writer.write(row()), writer.write(row()), writer.write(row())];
    const refused = await writer.write(row()).catch((e: unknown) => e);
    expect(refused).toBeInstanceOf(AppError);
    expect((refused as AppError).status).toBe(503);
    expect((refused as AppError).headers?.['Retry-After']).toBeDefined();
    await Promise.all(accepted);
    expect(writer.stats.refused).toBe(1);
  });

  it('should reject every waiting write with 503 when the commit fails', async () => {
    const { prisma } = recorder({ fail: true });
    const writer = new IngestWriter(prisma, { maxWaitMs: 1 });
    const results = await Promise.allSettled([writer.write(row()), writer.write(row())]);
    expect(results.map((r) => r.status)).toEqual(['rejected', 'rejected']);
    expect(((results[0] as PromiseRejectedResult).reason as AppError).code).toBe('SERVICE_UNAVAILABLE');
  });

  it('should flush queued rows on close and refuse new ones after', async () => {
    const { prisma, batches } = recorder();
    const writer = new IngestWriter(prisma, { maxWaitMs: 10_000 });
    const pending = writer.write(row());
    await writer.close();
    await pending;
    expect(batches).toHaveLength(1);
    await expect(writer.write(row())).rejects.toMatchObject({ status: 503 });
  });

  it('should hand committed batches to post-commit handlers without delaying callers', async () => {
    const { prisma } = recorder();
    const writer = new IngestWriter(prisma, { maxWaitMs: 1 });
    const seen: number[] = [];
    let release!: () => void;
    const gate = new Promise<void>((r) => (release = r));
    writer.onCommit(async (rows) => {
      await gate;
      seen.push(rows.length);
    });
    await writer.write(row());
    expect(seen).toEqual([]);
    release();
    await new Promise((r) => setTimeout(r, 5));
    expect(seen).toEqual([1]);
  });
});
