/**
 * The search vector of a large row is built after its commit (services/ingest/deferredSearch.ts,
 * migration search_deferred_for_large_rows), on the real database: small rows get it in the
 * insert, large ones are stored without it and filled right after the commit or, when no process
 * did that, by the minute sweep; the byte rule of the server matches the trigger's.
 */
import { describe, expect, it, beforeAll } from 'vitest';
import request from 'supertest';
import pino from 'pino';
import { IngestWriter, type LlmRequestRow } from '../../src/services/ingest/ingestWriter.js';
import {
  FILL_MAX_DELAY_MS,
  FILL_SETTLE_MS,
  fillPendingSearch,
  needsDeferredSearch,
  registerDeferredSearch,
  SEARCH_INLINE_BYTES,
} from '../../src/services/ingest/deferredSearch.js';
import { trackHeavyWork } from '../../src/services/ingest/heavyWork.js';
import { runJob } from '../../src/cron/scheduler.js';
import { searchBackfillJob } from '../../src/cron/jobs.js';
import { bearer, createProject, registerUser, type TestProject, type TestUser } from '../helpers/factories.js';
import { eventually } from '../helpers/eventually.js';
import { requestRow } from '../helpers/requestRows.js';
import { useTestApp } from '../helpers/testApp.js';

const ctx = useTestApp();
let owner: TestUser;
let project: TestProject;

beforeAll(async () => {
  owner = await registerUser(ctx.app);
  project = await createProject(ctx.app, owner);
});

function row(prompt: string, response: string | null = null): LlmRequestRow {
  return requestRow(project.id, { apiKeyId: project.apiKeyId, prompt, response });
}

async function searchState(id: string): Promise<'filled' | 'pending'> {
  const [r] = await ctx.prisma.$queryRawUnsafe<{ pending: boolean }[]>(
    `SELECT search IS NULL AS pending FROM llm_requests WHERE id = $1`,
    id,
  );
  if (!r) throw new Error(`row ${id} not stored`);
  return r.pending ? 'pending' : 'filled';
}

const found = async (word: string) =>
  (
    await request(ctx.app)
      .get('/api/v1/logs')
      .query({ projectId: project.id, q: word })
      .set(bearer(owner.accessToken))
      .expect(200)
  ).body.total as number;

/** A writer with no post-commit fill: what a process that stopped right after the commit leaves. */
const bareWriter = () => new IngestWriter(ctx.prisma, { maxBatch: 10, maxWaitMs: 1 });

/** A row large enough for the post-commit fill. */
const largeRow = () => row('Please summarise the attached quarterly report. '.repeat(1_500));

/**
 * Runs `fn` with a writer that fills after its commits while a large assessment is under way
 * until `finish()` (or the end); then everything is closed.
 */
async function whileAssessing(
  fn: (writer: IngestWriter, finish: () => void, heavy: Promise<void>) => Promise<void>,
): Promise<void> {
  const writer = bareWriter();
  const deferred = registerDeferredSearch(writer, ctx.prisma);
  let finish!: () => void;
  const heavy = trackHeavyWork(new Promise<void>((r) => (finish = r)));
  try {
    await fn(writer, finish, heavy);
  } finally {
    finish();
    await heavy;
    await deferred.close();
    await writer.close();
  }
}

describe('search vectors of large rows', () => {
  it('should build a small row’s vector in the insert and leave a large row’s for after the commit', async () => {
    const writer = bareWriter();
    const small = row('a short question about the zeppelin timetable', 'an answer');
    const large = row(`${'lorem ipsum dolor '.repeat(3_000)} quokkaphrase`, 'ok');
    await Promise.all([writer.write(small), writer.write(large)]);
    await writer.close();
    expect(await searchState(small.id)).toBe('filled');
    expect(await searchState(large.id)).toBe('pending');
    expect(await found('zeppelin')).toBe(1);
    expect(await found('quokkaphrase')).toBe(0); // not searchable until filled

    // The minute job (and the start-up sweep, the same function) fills what is pending.
    expect(await runJob(ctx.prisma, searchBackfillJob, pino({ level: 'silent' }))).toBe(true);
    expect(await searchState(large.id)).toBe('filled');
    expect(await found('quokkaphrase')).toBe(1);
    expect(await fillPendingSearch(ctx.prisma)).toBe(0); // nothing left
  });

  it('should apply the trigger’s byte rule: multi-byte text counts its UTF-8 bytes', async () => {
    const writer = bareWriter();
    // 'é' is 2 bytes, '€' 3: around the limit, in characters the rows are all far below it.
    const cases = [
      row('é'.repeat(SEARCH_INLINE_BYTES / 2)), // exactly the limit: inline
      row('é'.repeat(SEARCH_INLINE_BYTES / 2 - 2), 'éé'), // prompt and response together, at the limit
      row('é'.repeat(SEARCH_INLINE_BYTES / 2), 'x'), // one byte over
      row('€'.repeat(Math.floor(SEARCH_INLINE_BYTES / 3) + 1)), // 3-byte characters, just over
      row('a'.repeat(SEARCH_INLINE_BYTES - 4), '😀'), // a surrogate pair is 4 bytes: exactly the limit
      row('a'.repeat(SEARCH_INLINE_BYTES - 3), '😀'), // one over
    ];
    await Promise.all(cases.map((r) => writer.write(r)));
    await writer.close();
    const expected = cases.map((r) => (needsDeferredSearch(r) ? 'pending' : 'filled'));
    expect(expected).toEqual(['filled', 'filled', 'pending', 'pending', 'filled', 'pending']);
    expect(await Promise.all(cases.map((r) => searchState(r.id)))).toEqual(expected);
    await fillPendingSearch(ctx.prisma);
  });

  it('should make a large reported call searchable right after its 201, with no sweep', async () => {
    const prompt = `${'Please summarise the attached quarterly report. '.repeat(1_500)} wombatcorridor`;
    expect(prompt.length).toBeGreaterThan(SEARCH_INLINE_BYTES);
    const res = await request(ctx.app)
      .post('/api/v1/llm/request')
      .set('x-api-key', project.apiKey)
      .send({ model: 'gpt-4o', prompt, response: 'Here is the summary.', latencyMs: 120 })
      .expect(201);
    // The app's writer fills it after the commit; only the post-commit fill can do it here.
    await eventually(async () => (await found('wombatcorridor')) === 1);
    expect(await searchState(res.body.id as string)).toBe('filled');
  });

  it('should wait with the fill while a large assessment runs, and fill right after it', async () => {
    await whileAssessing(async (writer, finish, heavy) => {
      const r = largeRow();
      await writer.write(r);
      // a good while past the settle time: the fill still waits for the assessment under way
      await new Promise((res) => setTimeout(res, FILL_SETTLE_MS * 5));
      expect(await searchState(r.id)).toBe('pending');
      const ended = performance.now();
      finish();
      await heavy;
      await eventually(async () => (await searchState(r.id)) === 'filled');
      expect(performance.now() - ended).toBeGreaterThanOrEqual(FILL_SETTLE_MS * 0.9);
    });
  });

  it('should fill a row at most FILL_MAX_DELAY_MS after its commit however busy the process stays', async () => {
    await whileAssessing(async (writer) => {
      const r = largeRow();
      const committed = performance.now();
      await writer.write(r);
      await eventually(async () => (await searchState(r.id)) === 'filled', FILL_MAX_DELAY_MS * 3);
      const waited = performance.now() - committed;
      expect(waited).toBeGreaterThanOrEqual(FILL_MAX_DELAY_MS * 0.9);
      expect(waited).toBeLessThan(FILL_MAX_DELAY_MS * 3);
    });
  });

  it('should rebuild the vector when a text is rewritten, as the generated column did', async () => {
    const writer = bareWriter();
    const r = row('the original wording mentions a narwhal', 'fine');
    await writer.write(r);
    await writer.close();
    await ctx.prisma.$executeRawUnsafe(
      `UPDATE llm_requests SET prompt = 'the new wording mentions an axolotl' WHERE id = $1`,
      r.id,
    );
    expect(await found('narwhal')).toBe(0);
    expect(await found('axolotl')).toBe(1);
  });
});
