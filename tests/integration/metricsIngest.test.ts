/**
 * Metrics fed through the real ingestion path: POST /llm/request commits a batch, the
 * post-commit handler upserts rollups, GET /metrics reads them.
 */
import type { Server } from 'node:http';
import request from 'supertest';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createApp } from '../../src/app.js';
import { IngestWriter } from '../../src/services/ingest/ingestWriter.js';
import { registerRollups } from '../../src/services/analytics/rollupService.js';
import { aggregateBatch } from '../../src/domain/metrics/rollupDeltas.js';
import { bearer, createProject, registerUser, type TestProject, type TestUser } from '../helpers/factories.js';
import { useTestApp } from '../helpers/testApp.js';

const ctx = useTestApp();
let user: TestUser;

beforeAll(async () => {
  user = await registerUser(ctx.app);
});

const MODELS = ['gpt-4o', 'gpt-4o-mini', 'claude-3-5-sonnet', 'acme-private-llm'];

/** A varied request: model, endpoint, status, latency and tokens depend on `i`. */
function traffic(i: number) {
  return {
    model: MODELS[i % MODELS.length],
    prompt: `Question number ${i} about the weather`,
    response: 'It will be sunny.',
    endpoint: i % 3 === 0 ? 'chat' : i % 3 === 1 ? 'search' : undefined,
    userId: `end-user-${i % 5}`,
    latencyMs: 20 + ((i * 37) % 900),
    promptTokens: 100 + i,
    completionTokens: 50 + (i % 7),
    status: i % 4 === 0 ? 'error' : 'success',
    ...(i % 4 === 0 ? { error: 'upstream timeout' } : {}),
  };
}

const since = () => new Date(Date.now() - 24 * 3_600_000).toISOString();

describe('metrics after a day of mixed traffic', () => {
  let project: TestProject;
  const sent: { body: ReturnType<typeof traffic>; costUsd: number | null }[] = [];

  beforeAll(async () => {
    project = await createProject(ctx.app, user);
    for (let i = 0; i < 120; i++) {
      const body = traffic(i);
      const res = await request(ctx.app).post('/api/v1/llm/request').set('X-API-Key', project.apiKey).send(body);
      expect(res.status).toBe(201);
      sent.push({ body, costUsd: res.body.costUsd });
    }
  });

  it('should show totals, error rate, tokens, cost per model and an hourly series matching what was sent', async () => {
    const res = await request(ctx.app)
      .get('/api/v1/metrics')
      .query({ projectId: project.id, from: since(), granularity: 'hour' })
      .set(bearer(user.accessToken));
    expect(res.status).toBe(200);
    const errors = sent.filter((s) => s.body.status === 'error').length;
    const prompt = sent.reduce((n, s) => n + s.body.promptTokens, 0);
    const completion = sent.reduce((n, s) => n + s.body.completionTokens, 0);
    const cost = sent.reduce((n, s) => n + (s.costUsd ?? 0), 0);
    expect(res.body.summary).toMatchObject({
      totalRequests: 120,
      errorCount: errors,
      errorRate: Math.round((errors / 120) * 1e4) / 1e4,
      promptTokens: prompt,
      completionTokens: completion,
      totalTokens: prompt + completion,
      unpricedRequests: 30,
      unpricedModels: ['acme-private-llm'],
    });
    expect(res.body.summary.costUsd).toBeCloseTo(cost, 8);
    for (const model of MODELS) {
      const mine = sent.filter((s) => s.body.model === model);
      const row = res.body.byModel.find((m: { model: string }) => m.model === model);
      expect(row.requests).toBe(mine.length);
      expect(row.totalTokens).toBe(mine.reduce((n, s) => n + s.body.promptTokens + s.body.completionTokens, 0));
      if (model === 'acme-private-llm') expect(row.costUsd).toBeNull();
      else
        expect(row.costUsd).toBeCloseTo(
          mine.reduce((n, s) => n + (s.costUsd ?? 0), 0),
          8,
        );
    }
    expect(res.body.series.length).toBeGreaterThanOrEqual(25);
    const seriesTotal = res.body.series.reduce((n: number, p: { requests: number }) => n + p.requests, 0);
    expect(seriesTotal).toBe(120);
    const nowHour = new Date(Math.floor(Date.now() / 3_600_000) * 3_600_000).toISOString();
    expect(res.body.series.at(-1).ts).toBe(nowHour);
  });

  it('should include a request in the next answer although answers are cached', async () => {
    const get = () =>
      request(ctx.app)
        .get('/api/v1/metrics')
        .query({ projectId: project.id, from: since() })
        .set(bearer(user.accessToken));
    const before = (await get()).body.summary.totalRequests;
    expect((await get()).body.summary.totalRequests).toBe(before);
    const res = await request(ctx.app).post('/api/v1/llm/request').set('X-API-Key', project.apiKey).send(traffic(1));
    expect(res.status).toBe(201);
    expect((await get()).body.summary.totalRequests).toBe(before + 1);
  });
});

describe('rollups under concurrent ingestion', () => {
  let server: Server;
  let writer: IngestWriter;

  beforeAll(async () => {
    // Wired like server.ts: the writer gets its rollups where it is created, then createApp
    // registers again, which must not count any batch twice. Small batches: many concurrent upserts.
    writer = new IngestWriter(ctx.prisma, { maxBatch: 16, maxWaitMs: 1 });
    registerRollups(writer, ctx.prisma);
    const app = createApp({ prisma: ctx.prisma, keyCache: ctx.keyCache, ingestWriter: writer });
    server = app.listen(0);
  });
  afterAll(() => new Promise<void>((resolve) => server.close(() => resolve())));

  it('should keep rollups equal to the raw rows after 200 concurrent posts to two projects', async () => {
    const projects = [await createProject(ctx.app, user), await createProject(ctx.app, user)];
    const results = await Promise.all(
      Array.from({ length: 200 }, (_, i) =>
        request(server)
          .post('/api/v1/llm/request')
          .set('X-API-Key', projects[i % 2]!.apiKey)
          .send(traffic(i)),
      ),
    );
    expect(results.map((r) => r.status).filter((s) => s !== 201)).toEqual([]);
    expect(writer.stats.batches).toBeGreaterThan(1);
    await registerRollups(writer, ctx.prisma).settled();

    const ids = projects.map((p) => p.id);
    const raw = await ctx.prisma.llmRequest.findMany({ where: { projectId: { in: ids } } });
    expect(raw).toHaveLength(200);
    const expected = aggregateBatch(raw);
    const stored = await ctx.prisma.metricRollup.findMany({
      where: { projectId: { in: ids } },
      orderBy: [{ projectId: 'asc' }, { hour: 'asc' }, { model: 'asc' }, { endpoint: 'asc' }],
    });
    const key = (r: { projectId: string; hour: Date; model: string; endpoint: string }) =>
      `${r.projectId}|${r.hour.toISOString()}|${r.model}|${r.endpoint}`;
    expect(stored.map(key).sort()).toEqual(expected.map(key).sort());
    const byKey = new Map(stored.map((r) => [key(r), r]));
    for (const e of expected) {
      const s = byKey.get(key(e))!;
      expect({
        requests: s.requests,
        errors: s.errors,
        promptTokens: Number(s.promptTokens),
        completionTokens: Number(s.completionTokens),
        unpricedRequests: s.unpricedRequests,
        latencySumMs: Number(s.latencySumMs),
        latencyHist: s.latencyHist,
        riskSum: Number(s.riskSum),
        highRiskCount: s.highRiskCount,
      }).toEqual({
        requests: e.requests,
        errors: e.errors,
        promptTokens: e.promptTokens,
        completionTokens: e.completionTokens,
        unpricedRequests: e.unpricedRequests,
        latencySumMs: e.latencySumMs,
        latencyHist: e.latencyHist,
        riskSum: e.riskSum,
        highRiskCount: e.highRiskCount,
      });
      expect(s.costUsd).toBeCloseTo(e.costUsd, 10);
    }
  });
});
