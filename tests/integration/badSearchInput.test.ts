/**
 * Crafted input to the log search never gives a 500 (issue 24, item 8): a query of 40 dashes or
 * spaced dashes (PostgreSQL: "tsquery stack too small") searches for nothing; NUL in the query
 * string or the path id is a 400.
 */
import request from 'supertest';
import { describe, expect, it } from 'vitest';
import { bearer, createProject, registerUser } from '../helpers/factories.js';
import { useTestApp } from '../helpers/testApp.js';

const ctx = useTestApp();

describe('log search with crafted input', () => {
  it('should answer 200 to dash-only searches and 400 to NUL, never 500', async () => {
    const user = await registerUser(ctx.app);
    const project = await createProject(ctx.app, user);
    // dashes that negate nothing are dropped: an empty result, not PostgreSQL's XX000
    for (const q of ['-'.repeat(40), '- '.repeat(40), `${'-'.repeat(40)}refund`]) {
      const res = await request(ctx.app)
        .get(`/api/v1/logs?projectId=${project.id}&q=${encodeURIComponent(q)}`)
        .set(bearer(user.accessToken));
      expect(res.status, `${JSON.stringify(q)}: ${JSON.stringify(res.body)}`).toBe(200);
    }
    for (const q of ['a\u0000b']) {
      const res = await request(ctx.app)
        .get(`/api/v1/logs?projectId=${project.id}&q=${encodeURIComponent(q)}`)
        .set(bearer(user.accessToken));
      expect(res.status, `${JSON.stringify(q)}: ${JSON.stringify(res.body)}`).toBe(400);
      expect(res.body.error.code).toBe('VALIDATION_ERROR');
    }
    const nulId = await request(ctx.app).get('/api/v1/logs/abc%00def').set(bearer(user.accessToken));
    expect(nulId.status).toBe(400);
    const ok = await request(ctx.app)
      .get(`/api/v1/logs?projectId=${project.id}&q=${encodeURIComponent('-refund')}`)
      .set(bearer(user.accessToken));
    expect(ok.status).toBe(200);
  }, 120_000);
});
