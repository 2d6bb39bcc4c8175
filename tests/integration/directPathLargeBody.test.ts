/**
 * A large body on a direct path is decoded in a turn of the event loop of its own and parsed in
 * another (pause() of domain/slices before each, in routes/admitDirect.ts), so several megabyte bodies that finish
 * arriving together are not all decoded and parsed before other requests are read; an ordinary
 * body is decoded and parsed at once. Its assessment then starts in a turn of its own too.
 */
import request from 'supertest';
import { beforeAll, describe, expect, it, vi } from 'vitest';
import { createProject, registerUser, type TestProject } from '../helpers/factories.js';

const pausedFrom: string[] = [];
vi.mock('../../src/domain/slices.js', async (importOriginal) =>
  (await import('../helpers/pauseCallers.js')).slicesNotingPauses(importOriginal, pausedFrom, (frame) =>
    frame.includes('admitDirect')
      ? 'body'
      : /ingestWriter|ingestBatch/.test(frame)
        ? 'batch'
        : frame.includes('assessLarge')
          ? 'assessment'
          : frame,
  ),
);

const { useTestApp } = await import('../helpers/testApp.js');
const ctx = useTestApp({ ingestFastPath: true });
let project: TestProject;

beforeAll(async () => {
  project = await createProject(ctx.app, await registerUser(ctx.app));
});

const post = (prompt: string) =>
  request(ctx.app)
    .post('/api/v1/llm/request')
    .set('x-api-key', project.apiKey)
    .send({ model: 'gpt-4o', prompt, response: 'ok', latencyMs: 10 })
    .expect(201);

describe('large bodies on the direct path', () => {
  it('should decode and parse a large body in turns of their own, and an ordinary one at once', async () => {
    const served = () => (ctx.app.locals.ingestFastPath as { served: number }).served;
    const before = served();
    await post('a short question');
    expect(pausedFrom).toEqual([]);
    await post('Please summarise this long report. '.repeat(3_000));
    expect(served()).toBe(before + 2); // both took the direct path
    // the body before its decoding and before its parse, the assessment before it starts (assessment.ts
    // assessLarge), then the writer before serialising the row's large prompt
    expect(pausedFrom).toEqual(['body', 'body', 'assessment', 'batch']);
  });
});
