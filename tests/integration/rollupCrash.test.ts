/**
 * Rollups are exact after a crash (issue 24, item 9): the server is SIGKILLed while the sums of
 * acknowledged calls are still in its memory (the test holds a lock on metric_rollups, so the
 * rollup upserts that follow each commit wait: the kill always finds them unapplied); after a
 * restart on the same database, /metrics counts every stored row.
 */
import pg from 'pg';
import request from 'supertest';
import { describe, expect, it } from 'vitest';
import { bearer, createProject, registerUser } from '../helpers/factories.js';
import { spawnServer, waitFor } from '../helpers/spawnServer.js';
import { useTestApp } from '../helpers/testApp.js';

const ctx = useTestApp();
const CALLS = 40;

describe('rollups after a crash', () => {
  it('should report every stored row in /metrics after kill -9 and a restart', async () => {
    const user = await registerUser(ctx.app);
    const project = await createProject(ctx.app, user);
    const env = { DATABASE_URL: ctx.databaseUrl, CRON_ENABLED: 'false' };

    const server = await spawnServer(env);
    await waitFor(`${server.baseUrl}/readyz`);
    // Rows still commit (llm_requests); the rollup upserts after each commit wait on this lock.
    const blocker = new pg.Client({ connectionString: ctx.databaseUrl });
    await blocker.connect();
    await blocker.query('BEGIN');
    await blocker.query('LOCK TABLE metric_rollups, metric_latency_hours IN SHARE ROW EXCLUSIVE MODE');
    const statuses = await Promise.all(
      Array.from({ length: CALLS }, async (_, i) => {
        const res = await fetch(`${server.baseUrl}/api/v1/llm/request`, {
          method: 'POST',
          headers: { 'Content-Type': 'application/json', 'X-API-Key': project.apiKey },
          body: JSON.stringify({ model: 'gpt-4o', prompt: `call ${i}`, latencyMs: 10 + i, promptTokens: 3 }),
        });
        return res.status;
      }),
    );
    expect(statuses.every((s) => s === 201)).toBe(true);
    server.child.kill('SIGKILL');
    await server.exited;
    await blocker.query('ROLLBACK');
    await blocker.end();

    const rows = await ctx.prisma.llmRequest.count({ where: { projectId: project.id } });
    expect(rows).toBe(CALLS);

    const again = await spawnServer(env);
    try {
      await waitFor(`${again.baseUrl}/readyz`);
      const res = await request(again.baseUrl)
        .get('/api/v1/metrics')
        .query({ projectId: project.id, from: new Date(Date.now() - 86_400_000).toISOString() })
        .set(bearer(user.accessToken));
      expect(res.status).toBe(200);
      expect(res.body.summary.totalRequests).toBe(rows);
    } finally {
      again.child.kill('SIGTERM');
      await again.exited;
    }
  }, 180_000);
});
