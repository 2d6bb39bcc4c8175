/**
 * Batching logic of the group-commit writer. The database is replaced by a recorder of the
 * statements it would run (the integration and durability suites use the real one).
 */
import { describe, expect, it } from 'vitest';
import {
  batchJson,
  batchInPieces,
  IngestWriter,
  type LlmRequestRow,
  type SqlExecutor,
} from '../../src/services/ingest/ingestWriter.js';
import { BATCH_SQL, batchSql, batchStatement, LARGE_BATCH_CHARS } from '../../src/services/ingest/ingestBatch.js';
import { AppError } from '../../src/utils/AppError.js';

function recorder(options: { delayMs?: number; fail?: boolean } = {}) {
  const batches: LlmRequestRow[][] = [];
  const prisma: SqlExecutor = async (_sql, [json]) => {
    if (options.delayMs) await new Promise((r) => setTimeout(r, options.delayMs));
    if (options.fail) throw new Error('connection refused');
    const rows = JSON.parse(json as string) as LlmRequestRow[];
    batches.push(rows);
    return { rows: [] };
  };
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

  it('should tell when a tracked row has settled (committed or failed), and know nothing of others', async () => {
    const { prisma, batches } = recorder({ delayMs: 20 });
    const writer = new IngestWriter(prisma, { maxWaitMs: 5 });
    const tracked = row();
    const plain = row();
    const written = writer.write(tracked, undefined, { track: true });
    void writer.write(plain);
    const settled = writer.whenSettled(tracked.id);
    expect(settled).toBeDefined();
    expect(writer.whenSettled(plain.id)).toBeUndefined();
    await settled;
    expect(batches.flat().map((r) => r.id)).toContain(tracked.id);
    await written;
    await Promise.resolve();
    expect(writer.whenSettled(tracked.id)).toBeUndefined(); // forgotten once settled

    const failing = new IngestWriter(recorder({ fail: true }).prisma, { maxWaitMs: 1 });
    const lost = row();
    const refused = failing.write(lost, undefined, { track: true }).catch((err: unknown) => err);
    await expect(failing.whenSettled(lost.id)).resolves.toBeUndefined(); // settles, never rejects
    expect(await refused).toBeInstanceOf(AppError);
  });

  it('should cut batches at maxBatch', async () => {
    const { prisma, batches } = recorder();
    const writer = new IngestWriter(prisma, { maxBatch: 10, maxWaitMs: 50 });
    await Promise.all(Array.from({ length: 25 }, () => writer.write(row())));
    expect(batches.map((b) => b.length)).toEqual([10, 10, 5]);
  });

  it('should give rows with megabytes of text batches of their own (maxBatchChars)', async () => {
    // issue 24: four 2 MB rows in one batch made one ~50 ms JSON.stringify on the event loop.
    const { prisma, batches } = recorder();
    const writer = new IngestWriter(prisma, { maxWaitMs: 20, concurrency: 1, maxBatchChars: 1000 });
    const big = (): LlmRequestRow => ({ ...row(), prompt: 'p'.repeat(600), response: 'r'.repeat(300) });
    await Promise.all([writer.write(row()), writer.write(big()), writer.write(big()), writer.write(row())]);
    expect(batches.map((b) => b.length)).toEqual([2, 2]);
    const huge = { ...row(), prompt: 'h'.repeat(5000) };
    await Promise.all([writer.write(huge), writer.write(row())]);
    expect(batches.slice(2).map((b) => b.length)).toEqual([1, 1]);
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

  it('should let a row with a longer wait gather later rows, and ride along a batch that starts earlier', async () => {
    const { prisma, batches } = recorder();
    const writer = new IngestWriter(prisma, { maxWaitMs: 2 });
    // rows nobody waits for (the gateway's): written 5 ms apart, committed together
    const deferred: Promise<void>[] = [];
    for (let i = 0; i < 4; i++) {
      deferred.push(writer.write(row(), undefined, { maxWaitMs: 200 }));
      await new Promise((r) => setTimeout(r, 5));
    }
    expect(batches).toHaveLength(0);
    // a row its caller waits for starts the batch within its own 2 ms, and takes them along
    await writer.write(row());
    await Promise.all(deferred);
    expect(batches.map((b) => b.length)).toEqual([5]);
    // alone, a deferred row is committed when its own wait is over
    const started = performance.now();
    await writer.write(row(), undefined, { maxWaitMs: 40 });
    expect(performance.now() - started).toBeGreaterThanOrEqual(35);
    expect(batches.map((b) => b.length)).toEqual([5, 1]);
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
    expect(((results[0] as PromiseRejectedResult).reason as AppError).code).toBe('DATABASE_UNAVAILABLE');
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

  it('should group quota counters in arrival order and reject only the ids the database refused', async () => {
    const sent: { userId: string; limit: number; ids: string[] }[][] = [];
    const executor: SqlExecutor = async (_sql, [, counters]) => {
      const parsed = JSON.parse(counters as string) as { userId: string; limit: number; ids: string[] }[];
      sent.push(parsed);
      // The database grants each counter its first `limit` ids.
      return { rows: parsed.flatMap((c) => c.ids.slice(c.limit).map((id) => ({ id }))) };
    };
    const writer = new IngestWriter(executor, { maxWaitMs: 5 });
    const stored: string[] = [];
    writer.onCommit((rows) => void stored.push(...rows.map((r) => r.id)));
    const counter = (userId: string, limit: number) => ({
      userId,
      periodStart: new Date('2026-11-01T00:00:00Z'),
      limit,
      refusal: () => new AppError('QUOTA_EXCEEDED', `${userId} is full`),
    });
    const rows = Array.from({ length: 5 }, row);
    const results = await Promise.allSettled([
      writer.write(rows[0]!, counter('a', 2)),
      writer.write(rows[1]!, counter('b', 5)),
      writer.write(rows[2]!, counter('a', 2)),
      writer.write(rows[3]!, counter('a', 2)),
      writer.write(rows[4]!),
    ]);
    expect(sent).toHaveLength(1);
    expect(sent[0]!.map((c) => [c.userId, c.ids])).toEqual([
      ['a', [rows[0]!.id, rows[2]!.id, rows[3]!.id]],
      ['b', [rows[1]!.id]],
    ]);
    expect(results.map((r) => r.status)).toEqual(['fulfilled', 'fulfilled', 'fulfilled', 'rejected', 'fulfilled']);
    expect(((results[3] as PromiseRejectedResult).reason as AppError).code).toBe('QUOTA_EXCEEDED');
    await new Promise((r) => setTimeout(r, 5));
    expect(stored).toEqual([rows[0]!.id, rows[1]!.id, rows[2]!.id, rows[4]!.id]);
    expect(writer.stats).toMatchObject({ rows: 4, overQuota: 1 });
  });
});

describe('batchJson', () => {
  /** What the writer sent before the fast path: every string made storable by a replacer. */
  const reference = (rows: unknown[]) =>
    JSON.stringify(rows, (_k, v: unknown) =>
      typeof v === 'string' ? v.toWellFormed().replaceAll('\u0000', '\uFFFD') : v,
    );

  it('should equal the replacer output on texts with and without unstorable characters', () => {
    const pieces = ['plain', 'é', '😀', '\u0000', '\ud800', '\udfff', '\\', '\\u0000', 'u0000', '\\ud83d', '"', '\n'];
    let seed = 7;
    const next = () => (seed = (seed * 1664525 + 1013904223) >>> 0) / 2 ** 32;
    const text = () =>
      Array.from({ length: 1 + Math.floor(next() * 6) }, () => pieces[Math.floor(next() * pieces.length)]).join('');
    for (let i = 0; i < 2_000; i++) {
      const rows = [
        {
          ...row(),
          prompt: text(),
          response: next() < 0.5 ? null : text(),
          metadata: { note: text(), list: [text()] },
        },
      ] as unknown as LlmRequestRow[];
      expect(batchJson(rows)).toBe(reference(rows));
    }
  });

  /** The rows the batch function reads from batchInPieces' JSON and text parameters. */
  const readBack = (json: string, texts: string[]) =>
    (JSON.parse(json) as Record<string, unknown>[]).map((r) => {
      for (const key of ['prompt', 'response', 'systemPrompt', 'messages']) {
        const at = r[`${key}At`];
        if (at === undefined) continue;
        const text = texts[(at as number) - 1]!;
        r[key] = key === 'messages' ? JSON.parse(text) : text;
        delete r[`${key}At`];
      }
      return r;
    });

  it('should send the same values in pieces as in one piece, each large text as a parameter after a pause', async () => {
    const pieces = ['plain', 'é', '😀', '\u0000', '\ud800', '\udfff', '\\', '\\u0000', '"', '\n', 'x'.repeat(40)];
    let seed = 11;
    const next = () => (seed = (seed * 1664525 + 1013904223) >>> 0) / 2 ** 32;
    const text = () =>
      Array.from({ length: Math.floor(next() * 8) }, () => pieces[Math.floor(next() * pieces.length)]).join('');
    for (let i = 0; i < 500; i++) {
      const rows = Array.from(
        { length: 1 + Math.floor(next() * 3) },
        () =>
          ({
            ...row(),
            prompt: text(),
            response: next() < 0.3 ? null : text(),
            systemPrompt: next() < 0.5 ? null : text(),
            ...(next() < 0.3
              ? {}
              : {
                  messages:
                    next() < 0.3
                      ? null
                      : [
                          { role: 'user', content: text(), ...(next() < 0.5 ? { name: text() } : {}) },
                          { role: 'assistant', content: text() },
                        ],
                }),
            metadata: next() < 0.5 ? null : { note: text() },
          }) as unknown as LlmRequestRow,
      );
      let pauses = 0;
      const large = rows.flatMap((r) =>
        [r.prompt, r.response, r.systemPrompt, r.messages?.map((m) => m.content).join('')].filter(
          (t): t is string => typeof t === 'string' && t.length > 100,
        ),
      ).length;
      const { json, texts } = await batchInPieces(rows, async () => void pauses++, 100);
      expect(readBack(json, texts)).toEqual(JSON.parse(reference(rows)));
      // each text over the piece size a parameter, after a pause; the rest in the JSON
      expect(texts).toHaveLength(large);
      expect(pauses).toBe(large);
      expect(texts.every((t) => t.isWellFormed() && !t.includes('\u0000'))).toBe(true);
    }
  });

  it('should send an ordinary batch as one JSON text and a batch of megabytes with its large texts as parameters', async () => {
    const counters = '[{"ids":[]}]';
    const small = [row(), row()];
    expect(await batchStatement(small, counters, async () => undefined)).toEqual({
      sql: BATCH_SQL,
      params: [batchJson(small), counters],
    });
    const large = [row(), { ...row(), prompt: 'p'.repeat(LARGE_BATCH_CHARS + 1), response: 'r'.repeat(100) }];
    const { sql, params } = await batchStatement(large, counters, async () => undefined);
    expect(sql).toBe(batchSql(1));
    expect(sql).toContain('$3::text');
    expect(params.slice(1)).toEqual([counters, large[1]!.prompt]);
    expect(JSON.parse(params[0]!)[1]).toMatchObject({ promptAt: 1, response: 'r'.repeat(100) });
  });

  it('should send ordinary rows exactly as JSON.stringify writes them', () => {
    const rows = Array.from({ length: 3 }, row);
    expect(batchJson(rows)).toBe(JSON.stringify(rows));
    const json = batchJson([{ ...row(), prompt: 'a\u0000b\ud800c' } as LlmRequestRow]);
    expect(JSON.parse(json)[0].prompt).toBe('a\uFFFDb\uFFFDc');
  });
});
