import request from 'supertest';
import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import { takesLargeBodies } from '../../src/app.js';
import { validate } from '../../src/middleware/validate.js';
import { createProject, registerUser } from '../helpers/factories.js';
import { useTestApp } from '../helpers/testApp.js';

const errorShape = z.object({
  error: z.object({
    code: z.string().regex(/^[A-Z_]+$/),
    message: z.string(),
    requestId: z.string(),
    details: z.unknown().optional(),
  }),
});

const ctx = useTestApp({
  mount: (app) => {
    app.post('/api/v1/__probe', validate({ body: z.object({ name: z.string().min(2) }) }), (req, res) => {
      res.status(201).json({ got: req.body });
    });
    app.get('/api/v1/__boom', () => {
      throw new Error('secret internals: password=hunter2');
    });
  },
});

describe('error handling', () => {
  it('should return a JSON 404 with a requestId for an unknown route', async () => {
    const res = await request(ctx.app).get('/api/v1/nope');
    expect(res.status).toBe(404);
    expect(errorShape.parse(res.body).error.code).toBe('NOT_FOUND');
    expect(res.body.error.requestId).toBe(res.headers['x-request-id']);
  });

  it('should return 400 INVALID_JSON for a malformed body', async () => {
    const res = await request(ctx.app).post('/api/v1/__probe').set('Content-Type', 'application/json').send('{"name":');
    expect(res.status).toBe(400);
    expect(res.body.error.code).toBe('INVALID_JSON');
  });

  it('should return 415 for a body that is not JSON', async () => {
    const res = await request(ctx.app).post('/api/v1/__probe').set('Content-Type', 'text/plain').send('name=x');
    expect(res.status).toBe(415);
    expect(res.body.error.code).toBe('UNSUPPORTED_MEDIA_TYPE');
  });

  it('should return 413 PAYLOAD_TOO_LARGE above 10 MB on the routes that score texts', async () => {
    const big = JSON.stringify({ model: 'gpt-4o', prompt: 'x'.repeat(10 * 1024 * 1024 + 10) });
    const user = await registerUser(ctx.app);
    const { apiKey } = await createProject(ctx.app, user);
    for (const path of ['/api/v1/llm/check', '/api/v1/guard/check', '/v1/chat/completions']) {
      const res = await request(ctx.app)
        .post(path)
        .set('Content-Type', 'application/json')
        .set('X-API-Key', apiKey)
        .send(big);
      expect(res.status).toBe(413);
      expect(res.body.error.code).toMatch(/^(PAYLOAD_TOO_LARGE|payload_too_large)$/); // the gateway's in OpenAI's shape
    }
    // without a valid key, the SDK's routes and the gateway refuse the key before reading the body
    for (const path of ['/api/v1/llm/check', '/v1/chat/completions']) {
      const res = await request(ctx.app).post(path).set('Content-Type', 'application/json').send(big);
      expect(res.status).toBe(401);
    }
  });

  it('should take bodies of megabytes on those routes only, whatever the case of the path', async () => {
    const twoMb = JSON.stringify({ model: 'gpt-4o', prompt: 'x'.repeat(2 * 1024 * 1024) });
    // parsed, then refused for the prompt's length (over 1 MB), not for the body's size
    const user = await registerUser(ctx.app);
    const { apiKey } = await createProject(ctx.app, user);
    for (const path of ['/api/v1/llm/check', '/API/V1/LLM/Check/']) {
      const res = await request(ctx.app)
        .post(path)
        .set('Content-Type', 'application/json')
        .set('X-API-Key', apiKey)
        .send(twoMb);
      expect(res.status).toBe(400);
      expect(res.body.error.code).toBe('VALIDATION_ERROR');
    }
    // every other route, signed in or not, stops at 1 MB (OTHER_BODY_LIMIT), before parsing
    for (const path of ['/api/v1/auth/login', '/api/v1/__probe', '/api/v1/webhooks/stripe']) {
      const res = await request(ctx.app).post(path).set('Content-Type', 'application/json').send(twoMb);
      expect(res.status).toBe(413);
      expect(res.body.error.code).toBe('PAYLOAD_TOO_LARGE');
    }
    const underLimit = JSON.stringify({ name: 'x'.repeat(1000 * 1000) });
    const ok = await request(ctx.app).post('/api/v1/__probe').set('Content-Type', 'application/json').send(underLimit);
    expect(ok.status).toBe(201);
    expect(takesLargeBodies('/api/v1/llmx')).toBe(false);
    expect(takesLargeBodies('/api/v1/guard/checks')).toBe(false);
    expect(takesLargeBodies('/v1/embeddings')).toBe(true);
  });

  it('should return 400 VALIDATION_ERROR with field details', async () => {
    const res = await request(ctx.app).post('/api/v1/__probe').send({ name: 'x' });
    expect(res.status).toBe(400);
    expect(res.body.error.code).toBe('VALIDATION_ERROR');
    expect(res.body.error.details).toEqual([expect.objectContaining({ path: 'name' })]);
  });

  it('should accept a valid body', async () => {
    const res = await request(ctx.app).post('/api/v1/__probe').send({ name: 'ok' });
    expect(res.status).toBe(201);
    expect(res.body).toEqual({ got: { name: 'ok' } });
  });

  it('should hide the internals of an unexpected error behind a generic 500', async () => {
    const res = await request(ctx.app).get('/api/v1/__boom');
    expect(res.status).toBe(500);
    expect(res.body.error).toEqual({
      code: 'INTERNAL_ERROR',
      message: 'Internal server error',
      requestId: expect.any(String),
    });
    expect(JSON.stringify(res.body)).not.toContain('hunter2');
  });
});

describe('request id and version headers', () => {
  it('should echo a sane X-Request-Id', async () => {
    const res = await request(ctx.app).get('/healthz').set('X-Request-Id', 'abc-123');
    expect(res.headers['x-request-id']).toBe('abc-123');
    expect(res.headers['x-api-version']).toBe('1');
  });

  it('should replace an insane X-Request-Id with a generated one', async () => {
    const res = await request(ctx.app).get('/healthz').set('X-Request-Id', 'bad id\twith spaces');
    expect(res.headers['x-request-id']).toMatch(/^[0-9a-f-]{36}$/);
  });

  it('should refuse an unsupported X-API-Version with 400', async () => {
    const res = await request(ctx.app).get('/api/v1/nope').set('X-API-Version', '2');
    expect(res.status).toBe(400);
    expect(res.body.error.code).toBe('UNSUPPORTED_API_VERSION');
  });

  it('should accept X-API-Version 1', async () => {
    const res = await request(ctx.app).get('/healthz').set('X-API-Version', '1');
    expect(res.status).toBe(200);
  });
});

describe('health', () => {
  it('should answer /healthz with 200', async () => {
    const res = await request(ctx.app).get('/healthz');
    expect(res.status).toBe(200);
    expect(res.body).toEqual({ status: 'ok' });
  });

  it('should answer /readyz with 200 on a migrated database', async () => {
    const res = await request(ctx.app).get('/readyz');
    expect(res.status).toBe(200);
    expect(res.body.checks).toEqual({ database: 'ok', migrations: 'ok' });
  });
});
