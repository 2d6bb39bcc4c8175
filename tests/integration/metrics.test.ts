/**
 * GET /metrics against a seeded dataset: rows with known createdAt inserted directly, rollups
 * re-derived by the repair function, and every answer compared with sums over the raw rows.
 */
import request from 'supertest';
import { beforeAll, describe, expect, it } from 'vitest';
import { metricsResponse } from '../../src/docs/responses.js';
import { repairRollupDay } from '../../src/services/analytics/rollupService.js';
import {
  HISTOGRAM_RELATIVE_ERROR,
  addToHistogram,
  emptyHistogram,
  percentileFromHistogram,
} from '../../src/domain/metrics/histogram.js';
import { bearer, createAdmin, createProject, registerUser, type TestUser } from '../helpers/factories.js';
import { useTestApp } from '../helpers/testApp.js';
import {
  UNPRICED_MODEL,
  exactPercentile,
  expectedMetrics,
  insertRows,
  makeRow,
  rng,
  type SeedRow,
} from './metricsFixtures.js';

const ctx = useTestApp();
let owner: TestUser;
let projectId: string;
const rows: SeedRow[] = [];

const DAY1 = Date.parse('2025-03-10T00:00:00Z');
const H = 3_600_000;
const D = 86_400_000;
const at = (ms: number) => new Date(ms);

beforeAll(async () => {
  owner = await registerUser(ctx.app);
  projectId = (await createProject(ctx.app, owner)).id;
  const random = rng(42);
  // Daytime traffic (08:00-20:59) over three days, leaving night hours as gaps.
  for (let i = 0; i < 900; i++) {
    const day = Math.floor(random() * 3);
    const ms = DAY1 + day * D + 8 * H + Math.floor(random() * 13 * H);
    rows.push(makeRow(projectId, at(ms), {}, random));
  }
  // Hour and day boundaries: the last millisecond of a bucket and the first of the next.
  rows.push(makeRow(projectId, at(DAY1 + 23 * H - 1), { model: 'gpt-4o', latencyMs: 100 }, random));
  rows.push(makeRow(projectId, at(DAY1 + 23 * H), { model: 'gpt-4o', latencyMs: 200 }, random));
  rows.push(makeRow(projectId, at(DAY1 + D - 1), { model: 'gpt-4o', latencyMs: 300 }, random));
  rows.push(makeRow(projectId, at(DAY1 + D), { model: 'gpt-4o', latencyMs: 400 }, random));
  // An hour with errors only (03:00 on day 3).
  for (let i = 0; i < 5; i++) {
    rows.push(makeRow(projectId, at(DAY1 + 2 * D + 3 * H + i * 60_000), { status: 'error' }, random));
  }
  await insertRows(ctx.prisma, rows);
  for (let day = 0; day < 3; day++) {
    await ctx.prisma.$transaction((tx) => repairRollupDay(tx, at(DAY1 + day * D)));
  }
});

const getMetrics = (query: Record<string, string>, user = owner) =>
  request(ctx.app).get('/api/v1/metrics').query(query).set(bearer(user.accessToken));

function expectMatches(body: Record<string, never>, from: number, to: number, granularity: 'hour' | 'day') {
  const exp = expectedMetrics(rows, at(from), at(to), granularity);
  const { summary, byModel, series } = body as unknown as {
    summary: Record<string, number | null | string[]>;
    byModel: Record<string, number | string | null>[];
    series: Record<string, number | string | null>[];
  };
  expect(summary).toMatchObject({
    totalRequests: exp.total.requests,
    errorCount: exp.total.errors,
    errorRate: exp.total.errorRate,
    promptTokens: exp.total.promptTokens,
    completionTokens: exp.total.completionTokens,
    totalTokens: exp.total.totalTokens,
    avgLatencyMs: exp.total.avgLatencyMs,
    unpricedRequests: exp.total.unpricedRequests,
    highRiskCount: exp.total.highRiskCount,
  });
  expect(summary.costUsd).toBeCloseTo(exp.total.costUsd, 8);
  // The rollup histograms hold exactly the raw latencies' bucket counts...
  const hist = exp.inRange.reduce((h, r) => addToHistogram(h, r.latencyMs), emptyHistogram());
  const fromHist = percentileFromHistogram(hist, 0.95);
  expect(summary.p95LatencyMs).toBe(fromHist === null ? null : Math.round(fromHist * 100) / 100);
  // ...so p95 is within the histogram's stated error of the exact nearest-rank percentile.
  const exact = exactPercentile(exp.inRange, 0.95);
  if (exact === null) expect(summary.p95LatencyMs).toBeNull();
  else
    expect(Math.abs((summary.p95LatencyMs as number) - exact)).toBeLessThanOrEqual(
      exact * HISTOGRAM_RELATIVE_ERROR + 1,
    );
  expect(byModel.map((m) => m.model)).toEqual(exp.byModel.map((m) => m.model));
  byModel.forEach((m, i) => {
    const e = exp.byModel[i]!;
    expect(m).toMatchObject({
      requests: e.requests,
      errorRate: e.errorRate,
      totalTokens: e.totalTokens,
      avgLatencyMs: e.avgLatencyMs,
    });
    if (e.model === UNPRICED_MODEL) expect(m.costUsd).toBeNull();
    else expect(m.costUsd).toBeCloseTo(e.costUsd, 8);
  });
  expect(series.map((p) => p.ts)).toEqual(exp.series.map((p) => p.ts));
  series.forEach((p, i) => {
    const e = exp.series[i]!;
    expect(p).toMatchObject({
      requests: e.requests,
      errors: e.errors,
      totalTokens: e.totalTokens,
      avgLatencyMs: e.avgLatencyMs,
    });
    expect(p.costUsd).toBeCloseTo(e.costUsd, 8);
  });
  return exp;
}

describe('GET /metrics', () => {
  it('should match sums over the raw rows for three days by day', async () => {
    const res = await getMetrics({
      projectId,
      from: '2025-03-10T00:00:00Z',
      to: '2025-03-13T00:00:00Z',
      granularity: 'day',
    });
    expect(res.status).toBe(200);
    expect(res.body).toMatchObject({
      projectId,
      from: '2025-03-10T00:00:00.000Z',
      to: '2025-03-13T00:00:00.000Z',
      granularity: 'day',
    });
    expect(metricsResponse.safeParse(res.body).error).toBeUndefined();
    const exp = expectMatches(res.body, DAY1, DAY1 + 3 * D, 'day');
    expect(exp.total.requests).toBe(rows.length);
    expect(res.body.series).toHaveLength(3);
    expect(res.body.summary.unpricedModels).toEqual([UNPRICED_MODEL]);
    expect(res.body.byModel.length).toBeGreaterThanOrEqual(4);
  });

  it('should match the raw rows hour by hour, with night hours filled with zeros', async () => {
    const res = await getMetrics({
      projectId,
      from: '2025-03-11T00:00:00Z',
      to: '2025-03-12T00:00:00Z',
      granularity: 'hour',
    });
    expect(res.status).toBe(200);
    expectMatches(res.body, DAY1 + D, DAY1 + 2 * D, 'hour');
    expect(res.body.series).toHaveLength(24);
    expect(res.body.series[2]).toEqual({
      ts: '2025-03-11T02:00:00.000Z',
      requests: 0,
      errors: 0,
      errorRate: 0,
      promptTokens: 0,
      completionTokens: 0,
      totalTokens: 0,
      costUsd: 0,
      avgLatencyMs: 0,
    });
  });

  it('should put the last millisecond of an hour and of a day in their own buckets', async () => {
    const res = await getMetrics({
      projectId,
      from: '2025-03-10T22:00:00Z',
      to: '2025-03-11T01:00:00Z',
      granularity: 'hour',
    });
    expect(res.status).toBe(200);
    expectMatches(res.body, DAY1 + 22 * H, DAY1 + D + H, 'hour');
    const byTs = Object.fromEntries(res.body.series.map((p: { ts: string; requests: number }) => [p.ts, p.requests]));
    expect(byTs['2025-03-10T22:00:00.000Z']).toBe(1); // 22:59:59.999
    expect(byTs['2025-03-10T23:00:00.000Z']).toBe(2); // 23:00:00.000 and 23:59:59.999
    expect(byTs['2025-03-11T00:00:00.000Z']).toBe(1); // 00:00:00.000 of the next day
  });

  it('should report whole buckets for an unaligned range', async () => {
    const res = await getMetrics({
      projectId,
      from: '2025-03-10T23:30:00Z',
      to: '2025-03-11T00:00:00.001Z',
      granularity: 'hour',
    });
    expect(res.body).toMatchObject({ from: '2025-03-10T23:00:00.000Z', to: '2025-03-11T01:00:00.000Z' });
    expectMatches(res.body, DAY1 + 23 * H, DAY1 + D + H, 'hour');
  });

  it('should answer an errors-only hour with an error rate of 1', async () => {
    const res = await getMetrics({
      projectId,
      from: '2025-03-12T03:00:00Z',
      to: '2025-03-12T04:00:00Z',
      granularity: 'hour',
    });
    expect(res.status).toBe(200);
    expectMatches(res.body, DAY1 + 2 * D + 3 * H, DAY1 + 2 * D + 4 * H, 'hour');
    expect(res.body.summary).toMatchObject({ totalRequests: 5, errorCount: 5, errorRate: 1 });
  });

  it('should answer an empty range with zeros, null percentiles and a zero series', async () => {
    const res = await getMetrics({
      projectId,
      from: '2025-01-01T00:00:00Z',
      to: '2025-01-03T00:00:00Z',
      granularity: 'day',
    });
    expect(res.status).toBe(200);
    expect(res.body.summary).toMatchObject({
      totalRequests: 0,
      errorCount: 0,
      errorRate: 0,
      totalTokens: 0,
      costUsd: 0,
      avgLatencyMs: 0,
      p95LatencyMs: null,
      avgRiskScore: 0,
      unpricedModels: [],
    });
    expect(res.body.byModel).toEqual([]);
    expect(res.body.series.map((p: { requests: number }) => p.requests)).toEqual([0, 0]);
  });

  it('should default to the last 7 days by hour', async () => {
    const res = await getMetrics({ projectId });
    expect(res.status).toBe(200);
    expect(res.body.granularity).toBe('hour');
    expect(res.body.series.length).toBeGreaterThanOrEqual(168);
    expect(res.body.series.length).toBeLessThanOrEqual(169);
    expect(res.body.summary.totalRequests).toBe(0);
  });

  it('should let an admin read any project', async () => {
    const admin = await createAdmin(ctx.app, ctx.prisma);
    const res = await getMetrics({ projectId, from: '2025-03-10T00:00:00Z', to: '2025-03-13T00:00:00Z' }, admin);
    expect(res.status).toBe(200);
    expect(res.body.summary.totalRequests).toBe(rows.length);
  });

  it("should return 404 for another user's project, and 401 without a token", async () => {
    const stranger = await registerUser(ctx.app);
    const res = await getMetrics({ projectId }, stranger);
    expect(res.status).toBe(404);
    expect(res.body.error.code).toBe('NOT_FOUND');
    expect((await getMetrics({ projectId: 'no-such-project' })).status).toBe(404);
    expect((await request(ctx.app).get('/api/v1/metrics').query({ projectId })).status).toBe(401);
  });

  it.each([
    ['from after to', { from: '2025-03-12T00:00:00Z', to: '2025-03-10T00:00:00Z' }, 'from'],
    ['from equal to to', { from: '2025-03-12T00:00:00Z', to: '2025-03-12T00:00:00Z' }, 'from'],
    [
      'more than 31 days by hour',
      { from: '2025-01-01T00:00:00Z', to: '2025-02-02T00:00:00Z', granularity: 'hour' },
      'to',
    ],
    [
      'more than 366 days by day',
      { from: '2024-01-01T00:00:00Z', to: '2025-01-02T00:00:00Z', granularity: 'day' },
      'to',
    ],
    ['an unknown granularity', { granularity: 'minute' }, 'granularity'],
    ['a malformed date', { from: 'yesterday' }, 'from'],
    ['a date without offset', { to: '2025-03-12T00:00:00' }, 'to'],
  ])('should return 400 for %s', async (_name, query, path) => {
    const res = await getMetrics({ projectId, ...query });
    expect(res.status).toBe(400);
    expect(res.body.error.code).toBe('VALIDATION_ERROR');
    expect(res.body.error.details.map((d: { path: string }) => d.path)).toContain(path);
  });

  it('should return 400 without projectId', async () => {
    const res = await getMetrics({});
    expect(res.status).toBe(400);
    expect(res.body.error.details.map((d: { path: string }) => d.path)).toContain('projectId');
  });
});

describe('GET /metrics/usage', () => {
  it('should list top end users, top endpoints, risk distribution and requests per day', async () => {
    const res = await request(ctx.app)
      .get('/api/v1/metrics/usage')
      .query({ projectId, from: '2025-03-10', to: '2025-03-13', limit: 3 })
      .set(bearer(owner.accessToken));
    expect(res.status).toBe(200);
    const users = new Map<string, number>();
    for (const r of rows) if (r.endUserId) users.set(r.endUserId, (users.get(r.endUserId) ?? 0) + 1);
    const top = [...users.entries()].sort((a, b) => b[1] - a[1] || (a[0] < b[0] ? -1 : 1)).slice(0, 3);
    expect(res.body.endUsers).toBe(users.size);
    expect(res.body.topEndUsers.map((u: { userId: string; requests: number }) => [u.userId, u.requests])).toEqual(top);

    const endpoints = new Map<string | null, number>();
    for (const r of rows) endpoints.set(r.endpoint, (endpoints.get(r.endpoint) ?? 0) + 1);
    for (const e of res.body.topEndpoints) expect(e.requests).toBe(endpoints.get(e.endpoint));
    expect(res.body.topEndpoints).toHaveLength(3);

    const levels = res.body.riskDistribution.map((l: { level: string }) => l.level);
    expect(levels).toEqual(['low', 'medium', 'high', 'critical']);
    const high = rows.filter((r) => r.riskScore >= 60 && r.riskScore < 85).length;
    expect(res.body.riskDistribution[2].requests).toBe(high);

    expect(res.body.requestsPerDay.map((d: { requests: number }) => d.requests)).toEqual(
      [0, 1, 2].map(
        (day) =>
          rows.filter((r) => r.createdAt.getTime() >= DAY1 + day * D && r.createdAt.getTime() < DAY1 + (day + 1) * D)
            .length,
      ),
    );
  });

  it("should return 404 for another user's project", async () => {
    const stranger = await registerUser(ctx.app);
    const res = await request(ctx.app)
      .get('/api/v1/metrics/usage')
      .query({ projectId })
      .set(bearer(stranger.accessToken));
    expect(res.status).toBe(404);
  });
});

describe('GET /admin/usage', () => {
  it('should total every project for an admin and rank the top projects and owners', async () => {
    const other = await registerUser(ctx.app);
    const otherProject = (await createProject(ctx.app, other)).id;
    await insertRows(ctx.prisma, [makeRow(otherProject, at(DAY1 + 10 * H)), makeRow(otherProject, at(DAY1 + 11 * H))]);
    await ctx.prisma.$transaction((tx) => repairRollupDay(tx, at(DAY1)));
    const admin = await createAdmin(ctx.app, ctx.prisma);
    const res = await request(ctx.app)
      .get('/api/v1/admin/usage')
      .query({ from: '2025-03-10', to: '2025-03-13' })
      .set(bearer(admin.accessToken));
    expect(res.status).toBe(200);
    expect(res.body.totals).toMatchObject({ requests: rows.length + 2, projects: 2, owners: 2 });
    expect(res.body.topProjects.map((p: { projectId: string }) => p.projectId)).toEqual([projectId, otherProject]);
    expect(res.body.topOwners[0]).toMatchObject({ ownerId: owner.id, email: owner.email, plan: 'free', projects: 1 });
    expect(res.body.topOwners[1]).toMatchObject({ ownerId: other.id, requests: 2 });
  });

  it('should refuse a non-admin with 403', async () => {
    const res = await request(ctx.app).get('/api/v1/admin/usage').set(bearer(owner.accessToken));
    expect(res.status).toBe(403);
  });
});
