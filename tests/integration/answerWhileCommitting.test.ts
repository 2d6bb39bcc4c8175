/**
 * POST /llm/request on the direct path makes its answer while the row commits (ingestAndRender in
 * services/ingest/ingestService.ts): a redacted chat call's answer of megabytes is ready when the
 * commit is, not made after it. It is still sent only once the row is committed, and a refused
 * commit is answered as before.
 */
import request from 'supertest';
import { afterEach, beforeAll, describe, expect, it, vi } from 'vitest';
import { IngestWriter } from '../../src/services/ingest/ingestWriter.js';
import { AppError } from '../../src/utils/AppError.js';
import type * as JsonParts from '../../src/utils/jsonParts.js';
import { createRedactingProject, registerUser, type TestProject } from '../helpers/factories.js';

/** What happened, in order: 'answer' when an answer's parts were made, 'committed' when a row was. */
const events: string[] = [];
vi.mock('../../src/utils/jsonParts.js', async (importOriginal) => {
  const actual = await importOriginal<typeof JsonParts>();
  return {
    ...actual,
    jsonPartsSteps: function* (value: unknown, pieceChars: number) {
      const parts = yield* actual.jsonPartsSteps(value, pieceChars);
      events.push('answer');
      return parts;
    },
  };
});

const { useTestApp } = await import('../helpers/testApp.js');
const ctx = useTestApp({ ingestFastPath: true });
let project: TestProject;

beforeAll(async () => {
  project = await createRedactingProject(ctx.app, await registerUser(ctx.app));
});

afterEach(() => {
  vi.restoreAllMocks();
  events.length = 0;
});

const call = {
  model: 'gpt-4o',
  messages: [
    { role: 'user', content: 'Mail the invoice to jane.doe@example.com' },
    { role: 'assistant', content: 'Sent to jane.doe@example.com.' },
  ],
  response: 'Done.',
  latencyMs: 120,
};

/** The writer's commits held until `release()`, each noted in `events` once its row is in. */
function holdCommits(): { release: () => void } {
  let release!: () => void;
  const held = new Promise<void>((resolve) => (release = resolve));
  const write = IngestWriter.prototype.write;
  vi.spyOn(IngestWriter.prototype, 'write').mockImplementation(function (this: IngestWriter, ...args) {
    return write.apply(this, args).then(async () => {
      events.push('committed');
      await held;
    });
  });
  return { release };
}

describe('the answer of POST /llm/request, made while its row commits', () => {
  it('should be made before the commit is through, and sent only after it', async () => {
    const { release } = holdCommits();
    let answered = false;
    const sent = request(ctx.app)
      .post('/api/v1/llm/request')
      .set('X-API-Key', project.apiKey)
      .send(call)
      .then((res) => {
        answered = true;
        return res;
      });
    // the row is committed and its commit held: the answer was made before, and is not sent yet
    for (let i = 0; i < 200 && !events.includes('committed'); i++) await new Promise((r) => setTimeout(r, 10));
    expect(events).toEqual(['answer', 'committed']);
    await new Promise((r) => setTimeout(r, 50));
    expect(answered).toBe(false);
    release();
    const res = await sent;
    expect(res.status).toBe(201);
    expect(res.body.redactedMessages).toEqual([
      { role: 'user', content: 'Mail the invoice to [EMAIL]' },
      { role: 'assistant', content: 'Sent to [EMAIL].' },
    ]);
    const row = await ctx.prisma.llmRequest.findUniqueOrThrow({ where: { id: res.body.id } });
    expect(res.body.redactedPrompt).toBe(row.prompt);
    expect(Number(res.headers['content-length'])).toBe(Buffer.byteLength(res.text));
  });

  it('should answer a refused commit with its error, not the answer made meanwhile', async () => {
    // what the writer rejects with when the database is away
    vi.spyOn(IngestWriter.prototype, 'write').mockRejectedValue(
      new AppError('DATABASE_UNAVAILABLE', 'The database is unavailable, retry shortly', {
        headers: { 'Retry-After': '5' },
      }),
    );
    const res = await request(ctx.app).post('/api/v1/llm/request').set('X-API-Key', project.apiKey).send(call);
    expect(res.status).toBe(503);
    expect(res.body.error.code).toBe('DATABASE_UNAVAILABLE');
    expect(res.headers['retry-after']).toBe('5');
  });
});
