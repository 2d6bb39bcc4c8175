/**
 * A/B splits between config versions: sticky per end user, weighted, recorded per call, compared
 * by GET /metrics?groupBy=configVersion, and ended by promoting one arm (then rolled back).
 */
import request from 'supertest';
import { describe, expect, it } from 'vitest';
import { twoProportionZTest } from '../../src/domain/metrics/significance.js';
import { bearer, seedTenant } from '../helpers/factories.js';
import { useTestApp } from '../helpers/testApp.js';

const ctx = useTestApp({ openai: null });

describe('config splits', () => {
  it('should run 90/10 between gpt-4o and gpt-4o-mini, compare the arms, promote one and roll back', async () => {
    const { user, project } = await seedTenant(ctx, { plan: 'enterprise' });
    const auth = bearer(user.accessToken);
    const base = `/api/v1/projects/${project.id}`;
    for (const model of ['gpt-4o', 'gpt-4o-mini']) {
      await request(ctx.app).post(`${base}/config-versions`).set(auth).send({ config: { model } }).expect(201);
    }
    const split = await request(ctx.app)
      .put(`${base}/config-split`)
      .set(auth)
      .send({
        arms: [
          { version: 2, weight: 90 },
          { version: 3, weight: 10 },
        ],
      });
    expect(split.status).toBe(200);
    expect(split.body.split.arms).toEqual([
      { version: 2, weight: 90 },
      { version: 3, weight: 10 },
    ]);

    // 400 users, one call each; every fourth call fails; tally what was sent per answered arm
    const sent = new Map<number, { requests: number; errors: number; costUsd: number; model: string }>();
    const modelOf = new Map<string, string>();
    for (let i = 0; i < 400; i += 50) {
      const batch = await Promise.all(
        Array.from({ length: 50 }, (_, j) => {
          const n = i + j;
          return request(ctx.app)
            .post('/api/v1/llm/request')
            .set('X-API-Key', project.apiKey)
            .send({
              model: 'gpt-4o',
              prompt: `question ${n}`,
              latencyMs: 100 + n,
              userId: `user-${n}`,
              promptTokens: 1000,
              completionTokens: 100,
              status: n % 4 === 0 ? 'error' : 'success',
            });
        }),
      );
      for (const [j, res] of batch.entries()) {
        expect(res.status).toBe(201);
        const t = sent.get(res.body.configVersion) ?? { requests: 0, errors: 0, costUsd: 0, model: '' };
        t.requests++;
        if ((i + j) % 4 === 0) t.errors++;
        t.costUsd += res.body.costUsd;
        t.model = res.body.effectiveModel;
        sent.set(res.body.configVersion, t);
        modelOf.set(`user-${i + j}`, res.body.effectiveModel);
      }
    }
    // the pre-flight check answers with the same arm as the call
    for (let n = 0; n < 60; n++) {
      const check = await request(ctx.app)
        .post('/api/v1/llm/check')
        .set('X-API-Key', project.apiKey)
        .send({ model: 'gpt-4o', prompt: `question ${n}`, userId: `user-${n}` });
      expect(check.status).toBe(200);
      expect(check.body.effectiveModel, `user-${n}`).toBe(modelOf.get(`user-${n}`));
    }
    expect([...sent.keys()].sort()).toEqual([2, 3]);
    expect(sent.get(2)!.model).toBe('gpt-4o');
    expect(sent.get(3)!.model).toBe('gpt-4o-mini');
    // 10% of 400 = 40, sd 6
    expect(Math.abs(sent.get(3)!.requests - 40)).toBeLessThan(25);

    // one user always lands on the same arm
    const arms = new Set<number>();
    for (let i = 0; i < 1000; i += 100) {
      const batch = await Promise.all(
        Array.from({ length: 100 }, () =>
          request(ctx.app)
            .post('/api/v1/llm/request')
            .set('X-API-Key', project.apiKey)
            .send({ model: 'gpt-4o', prompt: 'again', latencyMs: 5, userId: 'user-7', metadata: { sticky: true } }),
        ),
      );
      for (const res of batch) arms.add(res.body.configVersion);
    }
    expect(arms.size).toBe(1);

    // the sticky calls above went to one arm: count them into the tally
    const stickyArm = [...arms][0]!;
    sent.get(stickyArm)!.requests += 1000;
    const metrics = await request(ctx.app)
      .get(`/api/v1/metrics?projectId=${project.id}&groupBy=configVersion`)
      .set(auth);
    expect(metrics.status).toBe(200);
    for (const version of [2, 3]) {
      const row = metrics.body.byConfigVersion.find((r: { version: number }) => r.version === version);
      const t = sent.get(version)!;
      expect(row).toMatchObject({ version, requests: t.requests, errors: t.errors });
      expect(row.errorRate).toBeCloseTo(t.errors / t.requests, 4);
      expect(row.costUsd).toBeCloseTo(t.costUsd, 6);
      expect(row.p95LatencyMs).toBeGreaterThanOrEqual(row.p50LatencyMs);
    }
    const expected = twoProportionZTest(
      sent.get(2)!.errors,
      sent.get(2)!.requests,
      sent.get(3)!.errors,
      sent.get(3)!.requests,
    );
    expect(metrics.body.comparison).toMatchObject({ metric: 'errorRate', baseline: 2, candidate: 3 });
    expect(metrics.body.comparison.pValue).toBeCloseTo(expected.pValue, 3);
    // without groupBy the answer has no per-version part
    const plain = await request(ctx.app).get(`/api/v1/metrics?projectId=${project.id}`).set(auth);
    expect(plain.body.byConfigVersion).toBeUndefined();

    // promote the cheaper arm: the split ends and everyone gets version 3
    const promoted = await request(ctx.app).post(`${base}/config-split/promote`).set(auth).send({ version: 3 });
    expect(promoted.status).toBe(200);
    expect(promoted.body.version).toMatchObject({ number: 3, active: true });
    for (const u of ['user-1', 'user-2', 'user-3', 'user-4']) {
      const res = await request(ctx.app)
        .post('/api/v1/llm/request')
        .set('X-API-Key', project.apiKey)
        .send({ model: 'gpt-4o', prompt: 'x', latencyMs: 5, userId: u });
      expect(res.body).toMatchObject({ configVersion: 3, effectiveModel: 'gpt-4o-mini' });
    }
    // ... and rolls it back when a latency incident opens
    await request(ctx.app).post(`${base}/config-versions/2/activate`).set(auth).send().expect(200);
    const after = await request(ctx.app)
      .post('/api/v1/llm/request')
      .set('X-API-Key', project.apiKey)
      .send({ model: 'gpt-4o', prompt: 'x', latencyMs: 5, userId: 'user-1' });
    expect(after.body).toMatchObject({ configVersion: 2, effectiveModel: 'gpt-4o' });

    const audit = await ctx.prisma.auditLog.findMany({
      where: { targetId: project.id, action: { startsWith: 'config_' } },
      orderBy: { id: 'asc' },
    });
    expect(audit.map((a) => a.action)).toEqual([
      'config_version.create',
      'config_version.create',
      'config_split.set',
      'config_split.promote',
      'config_version.activate',
    ]);
  }, 120_000);

  it('should refuse bad splits and end a running one', async () => {
    const { user, project } = await seedTenant(ctx);
    const auth = bearer(user.accessToken);
    const base = `/api/v1/projects/${project.id}`;
    const one = await request(ctx.app)
      .put(`${base}/config-split`)
      .set(auth)
      .send({ arms: [{ version: 1, weight: 100 }] });
    expect(one.status).toBe(400);
    const unknown = await request(ctx.app)
      .put(`${base}/config-split`)
      .set(auth)
      .send({
        arms: [
          { version: 1, weight: 50 },
          { version: 9, weight: 50 },
        ],
      });
    expect(unknown.status).toBe(404);
    expect((await request(ctx.app).delete(`${base}/config-split`).set(auth)).status).toBe(404);

    await request(ctx.app)
      .post(`${base}/config-versions`)
      .set(auth)
      .send({ config: { model: 'b' } })
      .expect(201);
    await request(ctx.app)
      .put(`${base}/config-split`)
      .set(auth)
      .send({
        arms: [
          { version: 1, weight: 50 },
          { version: 2, weight: 50 },
        ],
      })
      .expect(200);
    const notArm = await request(ctx.app).post(`${base}/config-split/promote`).set(auth).send({ version: 7 });
    expect(notArm.status).toBe(400);
    expect((await request(ctx.app).delete(`${base}/config-split`).set(auth)).status).toBe(204);
    const res = await request(ctx.app)
      .post('/api/v1/llm/request')
      .set('X-API-Key', project.apiKey)
      .send({ model: 'a', prompt: 'x', latencyMs: 5, userId: 'someone' });
    expect(res.body.configVersion).toBe(1);
  });
});
