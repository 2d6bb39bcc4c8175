import request from 'supertest';
import { describe, expect, it } from 'vitest';
import { createSecurity } from '../../src/services/auth/security.js';
import { productFeedbackResponse } from '../../src/validators/feedbackValidators.js';
import { bearer, createAdmin, registerUser, type TestUser } from '../helpers/factories.js';
import { useTestApp } from '../helpers/testApp.js';

// Three items per user and hour, so the limit is reached within the test.
const ctx = useTestApp({ security: createSecurity({ apiPerUser: 1_000_000, feedbackPerHour: 3 }) });

const send = (user: TestUser, body: Record<string, unknown>) =>
  request(ctx.app).post('/api/v1/feedback').set(bearer(user.accessToken)).send(body);

describe('POST /api/v1/feedback', () => {
  it('should store a feature request with its sentiment and answer 201 in the documented shape', async () => {
    const user = await registerUser(ctx.app);
    const res = await send(user, {
      kind: 'bug',
      message: 'The export is broken and the chart crashes.',
      page: '/logs',
      rating: 2,
    });
    expect(res.status).toBe(201);
    expect(productFeedbackResponse.safeParse(res.body).success).toBe(true);
    expect(res.body.feedback).toMatchObject({
      kind: 'bug',
      page: '/logs',
      rating: 2,
      status: 'new',
      sentiment: { label: 'negative', language: 'en' },
    });
    const de = await send(user, { kind: 'praise', message: 'Super Erklärung, tolle Arbeit.' });
    expect(de.body.feedback.sentiment).toMatchObject({ label: 'positive', language: 'de' });
  });

  it('should return 400 for an unknown kind, an empty or too long message and a rating out of range', async () => {
    const user = await registerUser(ctx.app);
    for (const body of [
      { kind: 'complaint', message: 'x' },
      { kind: 'bug', message: '   ' },
      { kind: 'bug', message: 'x'.repeat(5_001) },
      { kind: 'bug', message: 'ok', rating: 6 },
      { kind: 'bug', message: 'ok', page: 'p'.repeat(501) },
    ]) {
      const res = await send(user, body);
      expect(res.status, JSON.stringify(body).slice(0, 60)).toBe(400);
      expect(res.body.error.code).toBe('VALIDATION_ERROR');
    }
    expect(await ctx.prisma.productFeedback.count({ where: { userId: user.id } })).toBe(0);
  });

  it('should return 429 with Retry-After past the hourly limit per user, and not limit another user', async () => {
    const user = await registerUser(ctx.app);
    for (let i = 0; i < 3; i++) expect((await send(user, { kind: 'other', message: `note ${i}` })).status).toBe(201);
    const refused = await send(user, { kind: 'other', message: 'one more' });
    expect(refused.status).toBe(429);
    expect(refused.body.error.code).toBe('RATE_LIMITED');
    expect(Number(refused.headers['retry-after'])).toBeGreaterThan(0);
    expect(await ctx.prisma.productFeedback.count({ where: { userId: user.id } })).toBe(3);
    const other = await registerUser(ctx.app);
    expect((await send(other, { kind: 'other', message: 'hello' })).status).toBe(201);
  });

  it('should return 401 without a token', async () => {
    expect((await request(ctx.app).post('/api/v1/feedback').send({ kind: 'bug', message: 'x' })).status).toBe(401);
  });
});

describe('reading and triaging feedback', () => {
  it('should show the author only their own items, with the status an admin set', async () => {
    const alice = await registerUser(ctx.app);
    const bob = await registerUser(ctx.app);
    const mine = (await send(alice, { kind: 'feature_request', message: 'Please add a CSV export.' })).body.feedback;
    await send(bob, { kind: 'bug', message: 'Login page is slow.' });
    const admin = await createAdmin(ctx.app, ctx.prisma);
    await request(ctx.app)
      .post(`/api/v1/admin/feedback/${mine.id}/status`)
      .set(bearer(admin.accessToken))
      .send({ status: 'planned' })
      .expect(200);
    const own = await request(ctx.app).get('/api/v1/feedback').set(bearer(alice.accessToken));
    expect(own.status).toBe(200);
    expect(own.body).toMatchObject({ total: 1, data: [{ id: mine.id, status: 'planned' }] });
  });

  it('should let only admins list all items, filter them and count per kind and sentiment', async () => {
    // The period starts now: the items of the tests above were sent moments ago and must fall outside it.
    await new Promise((r) => setTimeout(r, 5));
    const from = new Date().toISOString();
    const u1 = await registerUser(ctx.app);
    const u2 = await registerUser(ctx.app);
    await send(u1, { kind: 'bug', message: 'The page is broken, terrible.' });
    await send(u1, { kind: 'praise', message: 'Great product, I love it.' });
    await send(u2, { kind: 'feature_request', message: 'Add a dark mode to the settings page.' });
    expect((await request(ctx.app).get('/api/v1/admin/feedback').set(bearer(u1.accessToken))).status).toBe(403);
    const admin = await createAdmin(ctx.app, ctx.prisma);
    const all = await request(ctx.app).get(`/api/v1/admin/feedback?from=${from}`).set(bearer(admin.accessToken));
    expect(all.status).toBe(200);
    expect(all.body.total).toBe(3);
    expect(new Set(all.body.data.map((d: { user: { id: string } }) => d.user.id))).toEqual(new Set([u1.id, u2.id]));
    expect(all.body.counts.byKind).toEqual({ bug: 1, feature_request: 1, praise: 1, other: 0 });
    expect(all.body.counts.bySentiment).toEqual({ negative: 1, neutral: 1, positive: 1, none: 0 });
    const bugs = await request(ctx.app)
      .get(`/api/v1/admin/feedback?from=${from}&kind=bug`)
      .set(bearer(admin.accessToken));
    expect(bugs.body).toMatchObject({ total: 1, data: [{ kind: 'bug', sentiment: { label: 'negative' } }] });
    expect(bugs.body.counts.byKind.praise).toBe(1); // counts keep the whole distribution of the period
    const positive = await request(ctx.app)
      .get(`/api/v1/admin/feedback?from=${from}&sentiment=positive`)
      .set(bearer(admin.accessToken));
    expect(positive.body.data.map((d: { kind: string }) => d.kind)).toEqual(['praise']);
    const future = await request(ctx.app)
      .get(`/api/v1/admin/feedback?from=${new Date(Date.now() + 60_000).toISOString()}`)
      .set(bearer(admin.accessToken));
    expect(future.body.total).toBe(0);
  });

  it('should audit each status change with who, from and to; 404 for an unknown item, 400 for an unknown status', async () => {
    const user = await registerUser(ctx.app);
    const item = (await send(user, { kind: 'bug', message: 'Broken chart.' })).body.feedback;
    const admin = await createAdmin(ctx.app, ctx.prisma);
    const set = (id: string, status: string, token = admin.accessToken) =>
      request(ctx.app).post(`/api/v1/admin/feedback/${id}/status`).set(bearer(token)).send({ status });
    expect((await set(item.id, 'planned')).body.feedback).toMatchObject({ status: 'planned' });
    expect((await set(item.id, 'done')).body.feedback).toMatchObject({ status: 'done' });
    const audits = await ctx.prisma.auditLog.findMany({
      where: { action: 'feedback.status_change', targetId: item.id },
      orderBy: { id: 'asc' },
    });
    expect(audits.map((a) => [a.actorId, a.metadata])).toEqual([
      [admin.id, { from: 'new', to: 'planned' }],
      [admin.id, { from: 'planned', to: 'done' }],
    ]);
    expect((await set(item.id, 'shipped')).status).toBe(400);
    expect((await set('0193a6f2-0000-7000-8000-000000000000', 'done')).status).toBe(404);
    expect((await set(item.id, 'declined', user.accessToken)).status).toBe(403);
  });
});
