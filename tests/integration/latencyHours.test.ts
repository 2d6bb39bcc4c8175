import request from 'supertest';
import { describe, expect, it } from 'vitest';
import { upsertRollupDeltas, type SqlClient } from '../../src/db/queries/rollupQueries.js';
import { aggregateBatch } from '../../src/domain/metrics/rollupDeltas.js';
import { repairRollupDay, utcDayStart } from '../../src/services/analytics/rollupService.js';
import { eventually } from '../helpers/eventually.js';
import { createProject, registerUser } from '../helpers/factories.js';
import { useTestApp } from '../helpers/testApp.js';

const ctx = useTestApp({ openai: null });

/** Hours where metric_latency_hours differs from the element-wise sum of metric_rollups. */
const mismatches = (projectId: string) =>
  ctx.prisma.$queryRaw<{ hour: Date }[]>`
    WITH r AS (
      SELECT "hour", i, sum(v)::int AS v FROM metric_rollups, unnest("latencyHist") WITH ORDINALITY AS u(v, i)
      WHERE "projectId" = ${projectId} GROUP BY 1, 2),
    l AS (
      SELECT "hour", i, v FROM metric_latency_hours, unnest("latencyHist") WITH ORDINALITY AS u(v, i)
      WHERE "projectId" = ${projectId})
    SELECT coalesce(r."hour", l."hour") AS hour FROM r FULL JOIN l ON r."hour" = l."hour" AND r.i = l.i
    WHERE r.v IS DISTINCT FROM l.v`;

describe('per-hour latency histograms', () => {
  it('should stay equal to the sum of the rollup histograms under concurrent ingestion and after a repair', async () => {
    const user = await registerUser(ctx.app);
    const project = await createProject(ctx.app, user);
    const models = ['gpt-4o', 'gpt-4o-mini', 'claude-3-5-sonnet'];
    await Promise.all(
      Array.from({ length: 60 }, (_, i) =>
        request(ctx.app)
          .post('/api/v1/llm/request')
          .set('X-API-Key', project.apiKey)
          .send({
            model: models[i % 3],
            prompt: `call ${i}`,
            latencyMs: 10 + i * 97,
            endpoint: i % 2 ? 'chat' : 'search',
          })
          .expect(201),
      ),
    );
    await eventually(async () => {
      const [row] = await ctx.prisma.$queryRaw<{ n: bigint }[]>`
        SELECT coalesce(sum(v), 0)::bigint AS n FROM metric_latency_hours, unnest("latencyHist") AS v WHERE "projectId" = ${project.id}`;
      return Number(row?.n) === 60;
    });
    expect(await mismatches(project.id)).toEqual([]);
    await ctx.prisma.$transaction((tx) => repairRollupDay(tx, utcDayStart(new Date())));
    expect(await mismatches(project.id)).toEqual([]);
    expect(await ctx.prisma.metricLatencyHour.count({ where: { projectId: project.id } })).toBeGreaterThanOrEqual(1);
  });

  it('should write a batch into both tables with one statement, so no reader sees one without the other', async () => {
    const user = await registerUser(ctx.app);
    const project = await createProject(ctx.app, user);
    let statements = 0;
    const counting: SqlClient = {
      $queryRaw: ctx.prisma.$queryRaw.bind(ctx.prisma),
      $executeRaw: ((...args: Parameters<SqlClient['$executeRaw']>) => {
        statements++;
        return ctx.prisma.$executeRaw(...args);
      }) as SqlClient['$executeRaw'],
    };
    const deltas = aggregateBatch(
      [5, 50, 500].map((latencyMs) => ({
        projectId: project.id,
        model: 'gpt-4o',
        endpoint: null,
        status: 'success' as const,
        promptTokens: 1,
        completionTokens: 1,
        costUsd: 0.001,
        latencyMs,
        riskScore: 0,
        createdAt: new Date(),
      })),
    );
    await upsertRollupDeltas(counting, deltas);
    expect(statements).toBe(1);
    expect(await mismatches(project.id)).toEqual([]);
    expect(await ctx.prisma.metricLatencyHour.count({ where: { projectId: project.id } })).toBe(1);
  });
});
