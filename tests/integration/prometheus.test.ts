import request from 'supertest';
import { describe, expect, it } from 'vitest';
import { createApp } from '../../src/app.js';
import { createProject, registerUser } from '../helpers/factories.js';
import { useTestApp } from '../helpers/testApp.js';

const ctx = useTestApp({ openai: null });

describe('GET /metrics (Prometheus)', () => {
  it('should expose HTTP, ingestion, incident and process metrics in text format', async () => {
    const user = await registerUser(ctx.app);
    const project = await createProject(ctx.app, user);
    const ingest = await request(ctx.app)
      .post('/api/v1/llm/request')
      .set('X-API-Key', project.apiKey)
      .send({ model: 'gpt-4o', prompt: 'hi', latencyMs: 9000, endpoint: 'chat' });
    expect(ingest.status).toBe(201);
    await new Promise((r) => setTimeout(r, 100));
    const res = await request(ctx.app).get('/metrics');
    expect(res.status).toBe(200);
    expect(res.headers['content-type']).toMatch(/^text\/plain/);
    expect(res.text).toMatch(
      /llmguard_http_request_duration_seconds_count\{method="POST",route="\/api\/v1\/llm\/request",status="201"\} \d+/,
    );
    expect(res.text).toMatch(/llmguard_ingest_batch_rows_count \d+/);
    expect(res.text).toMatch(/llmguard_ingest_commit_seconds_bucket/);
    expect(res.text).toMatch(/llmguard_incidents_opened_total\{type="latency"\} \d+/);
    expect(res.text).toContain('process_cpu_user_seconds_total');
    expect(res.text).toContain('llmguard_ingest_queue_depth');
  });

  it('should label unmatched routes without the raw URL (bounded cardinality)', async () => {
    await request(ctx.app).get('/api/v1/no-such-thing-123');
    const res = await request(ctx.app).get('/metrics');
    expect(res.text).not.toContain('no-such-thing-123');
    expect(res.text).toContain('route="unmatched"');
  });

  it('should require the bearer token when one is configured', async () => {
    const guarded = createApp({ prisma: ctx.prisma, metricsToken: 'metrics-token-0123456789', openai: null });
    expect((await request(guarded).get('/metrics')).status).toBe(401);
    expect((await request(guarded).get('/metrics').set('Authorization', 'Bearer wrong')).status).toBe(401);
    expect(
      (await request(guarded).get('/metrics').set('Authorization', 'Bearer metrics-token-0123456789')).status,
    ).toBe(200);
  });
});
