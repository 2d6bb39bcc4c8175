import request from 'supertest';
import { describe, expect, it } from 'vitest';
import { uuidv7 } from '../../src/utils/ids.js';
import { llmFeedbackResponse } from '../../src/validators/feedbackValidators.js';
import { eventually } from '../helpers/eventually.js';
import { bearer, seedTenant, type TestProject, type TestUser } from '../helpers/factories.js';
import { useTestApp } from '../helpers/testApp.js';

const ctx = useTestApp({ openai: null });

const owner = (): Promise<{ user: TestUser; project: TestProject }> => seedTenant(ctx);

async function call(key: string, model = 'gpt-4o'): Promise<string> {
  const res = await request(ctx.app).post('/api/v1/llm/request').set('X-API-Key', key).send({
    model,
    prompt: 'Summarise the refund policy',
    response: 'Refunds within 30 days.',
    latencyMs: 200,
    endpoint: 'chat',
  });
  expect(res.status).toBe(201);
  return res.body.id;
}

const feedback = (key: string, body: Record<string, unknown>) =>
  request(ctx.app).post('/api/v1/llm/feedback').set('X-API-Key', key).send(body);

describe('POST /api/v1/llm/feedback', () => {
  it('should store a thumbs-down with a negative English sentiment and answer 201 in the documented shape', async () => {
    const { project } = await owner();
    const id = await call(project.apiKey);
    const res = await feedback(project.apiKey, { requestId: id, score: -1, comment: 'Wrong and useless answer.' });
    expect(res.status).toBe(201);
    expect(llmFeedbackResponse.safeParse(res.body).success).toBe(true);
    expect(res.body.feedback).toMatchObject({
      requestId: id,
      model: 'gpt-4o',
      score: -1,
      scale: 'thumbs',
      negative: true,
      sentiment: { label: 'negative', language: 'en' },
    });
    expect(res.body.feedback.sentiment.score).toBeLessThan(0);
    expect(await ctx.prisma.llmFeedback.count({ where: { requestId: id } })).toBe(1);
  });

  it('should score stars and a German comment as positive, and have no sentiment without a comment', async () => {
    const { project } = await owner();
    const id = await call(project.apiKey);
    const de = await feedback(project.apiKey, {
      requestId: id,
      score: 5,
      scale: 'stars',
      comment: 'Sehr gute Antwort, genau das habe ich gebraucht.',
    });
    expect(de.status).toBe(201);
    expect(de.body.feedback).toMatchObject({
      score: 5,
      scale: 'stars',
      negative: false,
      sentiment: { label: 'positive', language: 'de' },
    });
    const bare = await feedback(project.apiKey, { requestId: id, score: 1 });
    expect(bare.status).toBe(201);
    expect(bare.body.feedback.sentiment).toBeNull();
  });

  it('should return 404 for an unknown call id', async () => {
    const { project } = await owner();
    const res = await feedback(project.apiKey, { requestId: '0193a6f2-0000-7000-8000-000000000000', score: 1 });
    expect(res.status).toBe(404);
    expect(res.body.error.code).toBe('NOT_FOUND');
  });

  it('should wait for the row of a call made a moment ago (the gateway commits it just after answering)', async () => {
    const { project } = await owner();
    const id = uuidv7();
    const pending = feedback(project.apiKey, { requestId: id, score: 1 }).then((r) => r);
    await new Promise((r) => setTimeout(r, 300));
    await ctx.prisma.llmRequest.create({
      data: {
        id,
        projectId: project.id,
        model: 'gpt-4o',
        effectiveModel: 'gpt-4o',
        prompt: 'hi',
        latencyMs: 5,
        riskScore: 0,
        riskLevel: 'low',
        riskFlags: [],
        decision: 'allow',
      },
    });
    const res = await pending;
    expect(res.status).toBe(201);
    expect(res.body.feedback.requestId).toBe(id);
    // a recent id that never gets a row: 404 after the short wait, nothing stored
    const started = Date.now();
    const missing = await feedback(project.apiKey, { requestId: uuidv7(), score: 1 });
    expect(missing.status).toBe(404);
    expect(Date.now() - started).toBeGreaterThanOrEqual(1_500);
  });

  it("should return 404 for another project's call and store nothing", async () => {
    const a = await owner();
    const b = await owner();
    const id = await call(a.project.apiKey);
    const res = await feedback(b.project.apiKey, { requestId: id, score: -1 });
    expect(res.status).toBe(404);
    expect(res.body.error.code).toBe('NOT_FOUND');
    expect(await ctx.prisma.llmFeedback.count({ where: { requestId: id } })).toBe(0);
  });

  it('should return 400 for a score outside its scale', async () => {
    const { project } = await owner();
    const id = await call(project.apiKey);
    for (const body of [
      { score: 0 },
      { score: 5 },
      { score: 2, scale: 'thumbs' },
      { score: 0, scale: 'stars' },
      { score: 6, scale: 'stars' },
      { score: 4.5, scale: 'stars' },
      { score: 1, scale: 'emoji' },
      {},
    ]) {
      const res = await feedback(project.apiKey, { requestId: id, ...body });
      expect(res.status, JSON.stringify(body)).toBe(400);
      expect(res.body.error.code).toBe('VALIDATION_ERROR');
    }
    expect(await ctx.prisma.llmFeedback.count({ where: { requestId: id } })).toBe(0);
  });

  it('should return 400 for a comment over 2,000 characters and accept one of exactly 2,000', async () => {
    const { project } = await owner();
    const id = await call(project.apiKey);
    const tooLong = await feedback(project.apiKey, { requestId: id, score: 1, comment: 'a'.repeat(2_001) });
    expect(tooLong.status).toBe(400);
    expect(tooLong.body.error.details).toEqual(expect.arrayContaining([expect.objectContaining({ path: 'comment' })]));
    expect((await feedback(project.apiKey, { requestId: id, score: 1, comment: 'a'.repeat(2_000) })).status).toBe(201);
  });

  it('should return 401 without an API key', async () => {
    const res = await request(ctx.app).post('/api/v1/llm/feedback').send({ requestId: 'x', score: 1 });
    expect(res.status).toBe(401);
  });
});

describe('feedback in logs and metrics', () => {
  it('should show the feedback on GET /logs/:id and filter GET /logs by feedback', async () => {
    const { user, project } = await owner();
    const [bad, good, silent] = [await call(project.apiKey), await call(project.apiKey), await call(project.apiKey)];
    await feedback(project.apiKey, { requestId: bad, score: -1, comment: 'Terrible answer.' });
    await feedback(project.apiKey, { requestId: bad, score: 2, scale: 'stars' });
    await feedback(project.apiKey, { requestId: good, score: 5, scale: 'stars' });
    const detail = await request(ctx.app).get(`/api/v1/logs/${bad}`).set(bearer(user.accessToken));
    expect(detail.status).toBe(200);
    expect(detail.body.request.feedback).toHaveLength(2);
    expect(detail.body.request.feedback[0]).toMatchObject({ score: -1, sentiment: { label: 'negative' } });
    const list = async (filter: string) =>
      (
        await request(ctx.app)
          .get(`/api/v1/logs?projectId=${project.id}&feedback=${filter}`)
          .set(bearer(user.accessToken))
          .expect(200)
      ).body.data.map((r: { id: string }) => r.id);
    expect(await list('negative')).toEqual([bad]);
    expect(await list('positive')).toEqual([good]);
    expect((await list('any')).sort()).toEqual([bad, good].sort());
    expect(await list('negative')).not.toContain(silent);
    const invalid = await request(ctx.app)
      .get(`/api/v1/logs?projectId=${project.id}&feedback=meh`)
      .set(bearer(user.accessToken));
    expect(invalid.status).toBe(400);
  });

  it('should roll feedback up per model in GET /metrics (average score and negative share)', async () => {
    const { user, project } = await owner();
    const a = [await call(project.apiKey, 'gpt-4o'), await call(project.apiKey, 'gpt-4o')];
    const b = await call(project.apiKey, 'gpt-4o-mini');
    await feedback(project.apiKey, { requestId: a[0], score: -1 });
    await feedback(project.apiKey, { requestId: a[1], score: 1 });
    await feedback(project.apiKey, { requestId: a[1], score: 1 });
    await feedback(project.apiKey, { requestId: b, score: 2, scale: 'stars' });
    await feedback(project.apiKey, { requestId: b, score: 5, scale: 'stars' });
    const res = await request(ctx.app).get(`/api/v1/metrics?projectId=${project.id}`).set(bearer(user.accessToken));
    expect(res.status).toBe(200);
    expect(res.body.feedback.summary).toMatchObject({
      count: 5,
      negative: 2,
      negativeShare: 0.4,
      thumbsUp: 2,
      thumbsDown: 1,
    });
    const byModel = Object.fromEntries(res.body.feedback.byModel.map((m: { model: string }) => [m.model, m]));
    // gpt-4o: 1 down, 2 up -> 2/3; gpt-4o-mini: 2 and 5 stars -> (0.25 + 1) / 2
    expect(byModel['gpt-4o']).toMatchObject({
      count: 3,
      negative: 1,
      negativeShare: 0.3333,
      averageScore: 0.6667,
      averageStars: null,
    });
    expect(byModel['gpt-4o-mini']).toMatchObject({
      count: 2,
      negative: 1,
      negativeShare: 0.5,
      averageScore: 0.625,
      averageStars: 3.5,
    });
    // A new item after the answer was cached shows at once.
    await feedback(project.apiKey, { requestId: b, score: 1, scale: 'stars' });
    const again = await request(ctx.app).get(`/api/v1/metrics?projectId=${project.id}`).set(bearer(user.accessToken));
    expect(again.body.feedback.summary.count).toBe(6);
  });
  it('should roll feedback up per configuration version, so the arms of a change can be compared', async () => {
    const { user, project } = await owner();
    const base = `/api/v1/projects/${project.id}`;
    const auth = bearer(user.accessToken);
    const before = await call(project.apiKey);
    await request(ctx.app)
      .post(`${base}/config-versions`)
      .set(auth)
      .send({ config: { systemPrompt: 'Answer in one sentence.' }, activate: true, message: 'shorter answers' })
      .expect(201);
    const versionOf = async (id: string) =>
      (await request(ctx.app).get(`/api/v1/logs/${id}`).set(auth)).body.request.configVersion as number | null;
    const after = [await call(project.apiKey), await call(project.apiKey)] as const;
    const [v1, v2] = [await versionOf(before), await versionOf(after[0])];
    expect(v2).toBe((v1 ?? 0) + 1);
    await feedback(project.apiKey, { requestId: before, score: -1 });
    await feedback(project.apiKey, { requestId: before, score: -1 });
    const stored = await feedback(project.apiKey, { requestId: after[0], score: 1 });
    expect(stored.body.feedback.configVersion).toBe(v2);
    await feedback(project.apiKey, { requestId: after[1], score: 5, scale: 'stars' });
    await feedback(project.apiKey, { requestId: after[1], score: 1, scale: 'stars' });
    const res = await request(ctx.app).get(`/api/v1/metrics?projectId=${project.id}`).set(auth);
    expect(res.status).toBe(200);
    const byVersion = Object.fromEntries(
      res.body.feedback.byConfigVersion.map((v: { configVersion: number }) => [v.configVersion, v]),
    );
    // version 2: thumbs up (1), 5 stars (1), 1 star (0) -> 2/3; one negative of three
    expect(byVersion[String(v2)]).toMatchObject({ count: 3, negative: 1, negativeShare: 0.3333, averageScore: 0.6667 });
    if (v1 !== null) expect(byVersion[String(v1)]).toMatchObject({ count: 2, negative: 2, negativeShare: 1 });
    expect(res.body.feedback.summary.count).toBe(5);
  });
});

describe('negative-feedback incident rule', () => {
  it('should open exactly one incident for a spike, with its RCA, fold later feedback in and resolve as usual', async () => {
    const { user, project } = await owner();
    const incidents = () =>
      ctx.prisma.incident.findMany({ where: { projectId: project.id, type: 'negative_feedback' } });
    // gpt-4o-mini is rated well: the RCA names it as the model to switch to.
    for (let i = 0; i < 5; i++)
      await feedback(project.apiKey, { requestId: await call(project.apiKey, 'gpt-4o-mini'), score: 1 });
    const calls: string[] = [];
    for (let i = 0; i < 4; i++) calls.push(await call(project.apiKey, 'gpt-4o'));
    for (const id of calls) {
      expect((await feedback(project.apiKey, { requestId: id, score: -1, comment: 'Bad answer.' })).status).toBe(201);
    }
    expect(await incidents()).toHaveLength(0); // 4 items: below the minimum sample of 5
    const fifth = await call(project.apiKey, 'gpt-4o');
    await feedback(project.apiKey, { requestId: fifth, score: -1 });
    const [opened] = await incidents();
    expect(opened).toMatchObject({ status: 'open', type: 'negative_feedback', count: 1 });
    expect(opened!.figures).toMatchObject({ model: 'gpt-4o', negative: 5, total: 5, alternativeModel: 'gpt-4o-mini' });
    // More thumbs-down fold into the same incident.
    await feedback(project.apiKey, { requestId: fifth, score: -1 });
    await feedback(project.apiKey, { requestId: calls[0], score: 1, scale: 'stars' });
    const list = await incidents();
    expect(list).toHaveLength(1);
    expect(list[0]!.count).toBe(3);

    const api = request(ctx.app);
    const detail = await eventually(async () => {
      const res = await api.get(`/api/v1/incidents/${opened!.id}`).set(bearer(user.accessToken));
      return res.body.incident?.rca ? res : null;
    });
    expect(detail.body.incident.rca).toMatchObject({
      source: 'fallback',
      suggestedRemediation: { action: 'switch_model', params: { from: 'gpt-4o', to: 'gpt-4o-mini' } },
    });
    expect(detail.body.incident.rca.rootCause).toContain('gpt-4o');
    // The related requests are the rated calls, however old.
    expect(detail.body.incident.relatedRequests.map((r: { id: string }) => r.id)).toContain(fifth);

    const applied = await api
      .post(`/api/v1/incidents/${opened!.id}/apply-remediation`)
      .set(bearer(user.accessToken))
      .send({ action: 'switch_model', params: { from: 'gpt-4o', to: 'gpt-4o-mini' } });
    expect(applied.status).toBe(201);
    const next = await request(ctx.app)
      .post('/api/v1/llm/request')
      .set('X-API-Key', project.apiKey)
      .send({ model: 'gpt-4o', prompt: 'Summarise', latencyMs: 100 });
    expect(next.body.effectiveModel).toBe('gpt-4o-mini');

    const resolved = await api.post(`/api/v1/incidents/${opened!.id}/resolve`).set(bearer(user.accessToken)).send({});
    expect(resolved.status).toBe(200);
    expect(resolved.body.incident.status).toBe('resolved');
  });

  it('should open nothing when negative feedback stays under half of the model feedback', async () => {
    const { project } = await owner();
    for (let i = 0; i < 6; i++) {
      const id = await call(project.apiKey);
      await feedback(project.apiKey, { requestId: id, score: i < 2 ? -1 : 1 });
    }
    expect(await ctx.prisma.incident.count({ where: { projectId: project.id } })).toBe(0);
  });
});
