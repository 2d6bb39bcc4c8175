/**
 * One tenant's bad row must not fail anyone else's call (issue 24, item 2).
 * - Over HTTP: NUL or a lone surrogate in a metadata key or value (or another string field) is
 *   a 400 at validation, on the direct ingest path and through Express alike, while other
 *   tenants' concurrent calls all get 201 and are stored.
 * - In the group-commit writer on the real database: a row PostgreSQL refuses (an integer out
 *   of range) in a batch with other tenants' rows fails alone, with a permanent error (no
 *   Retry-After); every other row is committed.
 */
import request from 'supertest';
import { describe, expect, it } from 'vitest';
import { IngestWriter } from '../../src/services/ingest/ingestWriter.js';
import { AppError } from '../../src/utils/AppError.js';
import { createProject, registerUser, upgradeUser } from '../helpers/factories.js';
import { requestRow } from '../helpers/requestRows.js';
import { useTestApp } from '../helpers/testApp.js';

const ctx = useTestApp();

const badBodies: [string, string][] = [
  ['NUL in a metadata key', '{"model":"gpt-4o","prompt":"hi","latencyMs":1,"metadata":{"k\\u0000":1}}'],
  ['lone surrogate in a metadata key', '{"model":"gpt-4o","prompt":"hi","latencyMs":1,"metadata":{"k\\ud800":1}}'],
  ['NUL in a metadata value', '{"model":"gpt-4o","prompt":"hi","latencyMs":1,"metadata":{"k":"a\\u0000b"}}'],
  [
    'lone surrogate in a nested value',
    '{"model":"gpt-4o","prompt":"hi","latencyMs":1,"metadata":{"k":{"x":["\\udc00"]}}}',
  ],
  ['NUL in the prompt', '{"model":"gpt-4o","prompt":"a\\u0000b","latencyMs":1}'],
  ['lone surrogate in the model', '{"model":"gpt\\ud83d","prompt":"hi","latencyMs":1}'],
  ['NUL in the user id', '{"model":"gpt-4o","prompt":"hi","latencyMs":1,"userId":"u\\u0000"}'],
];

describe("a bad row among other tenants' calls", () => {
  it('should answer 400 to each bad body and 201 to every concurrent good call, all stored', async () => {
    const tenants = await Promise.all(
      [1, 2, 3].map(async () => {
        const user = await registerUser(ctx.app);
        await upgradeUser(ctx.prisma, user.id);
        return createProject(ctx.app, user);
      }),
    );
    const bad = await createProject(ctx.app, await registerUser(ctx.app));
    const good = tenants.flatMap((t) =>
      Array.from({ length: 20 }, (_, i) =>
        request(ctx.app)
          .post('/api/v1/llm/request')
          .set('X-API-Key', t.apiKey)
          .send({ model: 'gpt-4o', prompt: `call ${i}`, latencyMs: 3, metadata: { i } }),
      ),
    );
    const bads = badBodies.flatMap(([, body]) =>
      // both the direct path (plain JSON) and Express (an Origin header sends it there)
      [{}, { Origin: 'https://example.com' }].map((extra) =>
        request(ctx.app)
          .post('/api/v1/llm/request')
          .set({ 'X-API-Key': bad.apiKey, 'Content-Type': 'application/json', ...extra })
          .send(body),
      ),
    );
    const [goodRes, badRes] = await Promise.all([Promise.all(good), Promise.all(bads)]);
    expect(goodRes.filter((r) => r.status !== 201).map((r) => r.body)).toEqual([]);
    badRes.forEach((r, i) => {
      expect(r.status, `${badBodies[Math.floor(i / 2)]![0]}: ${JSON.stringify(r.body)}`).toBe(400);
      expect(r.body.error.code).toBe('VALIDATION_ERROR');
      expect(r.headers['retry-after']).toBeUndefined();
    });
    for (const t of tenants) {
      expect(await ctx.prisma.llmRequest.count({ where: { projectId: t.id } })).toBe(20);
    }
    expect(await ctx.prisma.llmRequest.count({ where: { projectId: bad.id } })).toBe(0);
  }, 120_000);

  it('should commit every other row of a batch when the database refuses one, and fail that one permanently', async () => {
    const owners = await Promise.all([1, 2].map(() => registerUser(ctx.app)));
    const projects = await Promise.all(owners.map((o) => createProject(ctx.app, o)));
    const writer = new IngestWriter(ctx.prisma, { maxWaitMs: 20, maxBatch: 500 });
    const row = (projectId: string, latencyMs = 5) => requestRow(projectId, { latencyMs });
    const rows = Array.from({ length: 200 }, (_, i) => row(projects[i % 2]!.id));
    const poison = row(projects[0]!.id, 2 ** 40); // latency_ms is an int4: 22003 out of range
    const results = await Promise.allSettled([
      ...rows.slice(0, 100).map((r) => writer.write(r)),
      writer.write(poison),
      ...rows.slice(100).map((r) => writer.write(r)),
    ]);
    const failed = results.filter((r) => r.status === 'rejected');
    expect(failed).toHaveLength(1);
    const reason = (failed[0] as PromiseRejectedResult).reason as AppError;
    expect(reason).toBeInstanceOf(AppError);
    expect(reason.status).toBe(400);
    expect(reason.headers?.['Retry-After']).toBeUndefined();
    expect(await ctx.prisma.llmRequest.count({ where: { id: { in: rows.map((r) => r.id) } } })).toBe(200);
    expect(await ctx.prisma.llmRequest.count({ where: { id: poison.id } })).toBe(0);
    expect(writer.stats.refusedRows).toBe(1);
    await writer.close();
  }, 120_000);
});
