import request from 'supertest';
import { describe, expect, it } from 'vitest';
import { bearer, registerUser } from '../helpers/factories.js';
import { useTestApp } from '../helpers/testApp.js';

const ctx = useTestApp({ corsOrigins: ['https://dashboard.example.com'], openai: null });

describe('limits and headers', () => {
  it('should send the helmet security headers and no X-Powered-By', async () => {
    const res = await request(ctx.app).get('/healthz');
    expect(res.headers['strict-transport-security']).toMatch(/max-age=\d+/);
    expect(res.headers['x-content-type-options']).toBe('nosniff');
    expect(res.headers['x-frame-options']).toBe('SAMEORIGIN');
    expect(res.headers['content-security-policy']).toContain("default-src 'self'");
    expect(res.headers['referrer-policy']).toBe('no-referrer');
    expect(res.headers['x-powered-by']).toBeUndefined();
  });

  it('should allow the configured dashboard origin and no other (CORS allowlist)', async () => {
    const ok = await request(ctx.app)
      .options('/api/v1/auth/login')
      .set('Origin', 'https://dashboard.example.com')
      .set('Access-Control-Request-Method', 'POST');
    expect(ok.headers['access-control-allow-origin']).toBe('https://dashboard.example.com');
    const evil = await request(ctx.app)
      .options('/api/v1/auth/login')
      .set('Origin', 'https://evil.example.com')
      .set('Access-Control-Request-Method', 'POST');
    expect(evil.headers['access-control-allow-origin']).toBeUndefined();
  });

  it('should cap page sizes at 100', async () => {
    const user = await registerUser(ctx.app);
    const res = await request(ctx.app).get('/api/v1/projects?limit=1000').set(bearer(user.accessToken));
    expect(res.status).toBe(400);
    expect(res.body.error.details[0].path).toBe('limit');
    expect((await request(ctx.app).get('/api/v1/projects?limit=100').set(bearer(user.accessToken))).status).toBe(200);
  });

  it('should answer a malformed JSON body without internals', async () => {
    const res = await request(ctx.app)
      .post('/api/v1/auth/login')
      .set('Content-Type', 'application/json')
      .send('{"email": "a@b.c", "password": ');
    expect(res.status).toBe(400);
    expect(res.text).not.toMatch(/SyntaxError|at JSON\.parse|node_modules/);
  });
});
