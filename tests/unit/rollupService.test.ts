/**
 * The rollup maintainer's buffering: batches committed within ROLLUP_FLUSH_MS become one upsert,
 * settled() applies what is buffered at once, and no interleaving leaves it spinning.
 */
import { describe, expect, it } from 'vitest';
import { Prisma } from '../../src/generated/prisma/client.js';
import type { SqlClient } from '../../src/db/queries/rollupQueries.js';
import type { CommitHandler, IngestWriter, LlmRequestRow } from '../../src/services/ingest/ingestWriter.js';
import { registerRollups } from '../../src/services/analytics/rollupService.js';

function fakes(delayMs = 0) {
  const handlers: CommitHandler[] = [];
  const attachments = new Map<symbol, unknown>();
  const writer = {
    onCommit: (h: CommitHandler) => handlers.push(h),
    attachment: (key: symbol) => attachments.get(key),
    attach: <T>(key: symbol, value: T) => (attachments.set(key, value), value),
  } as unknown as IngestWriter;
  const statements: string[] = [];
  const db = {
    async $executeRaw(strings: TemplateStringsArray, ...values: unknown[]) {
      if (delayMs) await new Promise((r) => setTimeout(r, delayMs));
      statements.push(Prisma.sql(strings, ...values).sql);
      return 1;
    },
  } as unknown as SqlClient;
  const commit = (n: number) =>
    handlers.forEach((h) =>
      h(
        Array.from(
          { length: n },
          (_, i) =>
            ({
              projectId: 'p1',
              model: `m${i % 2}`,
              endpoint: null,
              status: 'success',
              promptTokens: 1,
              completionTokens: 1,
              costUsd: 0.1,
              latencyMs: 10,
              riskScore: 0,
              createdAt: new Date(),
            }) as unknown as LlmRequestRow,
        ),
      ),
    );
  const rollupUpserts = () => statements.filter((s) => s.includes('INSERT INTO metric_rollups')).length;
  return { writer, db, commit, rollupUpserts };
}

describe('registerRollups', () => {
  it('should apply the batches of one interval with one upsert', async () => {
    const { writer, db, commit, rollupUpserts } = fakes();
    const rollups = registerRollups(writer, db, undefined, { flushMs: 20 });
    for (let i = 0; i < 5; i++) commit(3);
    expect(rollupUpserts()).toBe(0);
    await new Promise((r) => setTimeout(r, 60));
    expect(rollupUpserts()).toBe(1);
    expect(rollups.stats).toMatchObject({ batches: 5, flushes: 1, failures: 0 });
  });

  it('should apply the buffer at once on settled() and resolve when nothing is buffered', async () => {
    const { writer, db, commit, rollupUpserts } = fakes(5);
    const rollups = registerRollups(writer, db, undefined, { flushMs: 10_000 });
    await rollups.settled(1_000);
    commit(2);
    const started = performance.now();
    await rollups.settled(5_000);
    expect(performance.now() - started).toBeLessThan(1_000);
    expect(rollupUpserts()).toBe(1);
    await rollups.settled(1_000);
    expect(rollupUpserts()).toBe(1);
  });

  it('should pick up batches committed while an upsert runs, and settle after a timer fired on an empty buffer', async () => {
    const { writer, db, commit, rollupUpserts } = fakes(30);
    const rollups = registerRollups(writer, db, undefined, { flushMs: 50 });
    commit(1); // flushed at 50 ms, its upsert runs until 80 ms
    await new Promise((r) => setTimeout(r, 70));
    commit(1); // its timer is due at 120 ms, but the running flush takes it at 80 ms
    await new Promise((r) => setTimeout(r, 100)); // the timer has fired on an empty buffer
    expect(rollupUpserts()).toBe(2);
    const settled = await Promise.race([
      rollups.settled(1_000).then(() => 'settled'),
      new Promise((r) => setTimeout(() => r('stuck'), 1_500)),
    ]);
    expect(settled).toBe('settled');
    expect(rollups.stats.flushes).toBe(2);
  });
});
