import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import type { Prisma } from '../../src/generated/prisma/client.js';
import { relatedRequests } from '../../src/services/incidents/incidentContext.js';
import { generateRca, regenerateRca, type StoredRca } from '../../src/services/incidents/rcaService.js';
import type { AppError } from '../../src/utils/AppError.js';
import { uuidv7 } from '../../src/utils/ids.js';
import { capturingLogger } from '../helpers/captureLogs.js';
import { createProject, registerUser } from '../helpers/factories.js';
import { seedIncident as seedIncidentRow, seedRequests as seedRequestRows } from '../helpers/incidentFixtures.js';
import { startFakeOpenAI, VALID_RCA, type FakeOpenAI } from '../helpers/fakeOpenAI.js';
import { useTestApp } from '../helpers/testApp.js';

const ctx = useTestApp({ openai: null });
let fake: FakeOpenAI;
let projectId: string;
const NOW = Date.now();

beforeAll(async () => {
  fake = await startFakeOpenAI();
  projectId = (await createProject(ctx.app, await registerUser(ctx.app))).id;
});
afterAll(() => fake?.close());
beforeEach(() => {
  fake.requests.length = 0;
  fake.reply({ kind: 'content', content: JSON.stringify(VALID_RCA) });
});

const seedIncident = (over: Partial<Prisma.IncidentUncheckedCreateInput> = {}) =>
  seedIncidentRow(ctx.prisma, (over.projectId as string | undefined) ?? projectId, over, NOW);
const seedRequests = (rows: Partial<Prisma.LlmRequestCreateManyInput>[], pid = projectId) =>
  seedRequestRows(ctx.prisma, pid, rows, NOW);

const rcaOf = (incident: { rca: unknown }) => incident.rca as StoredRca;

describe('generateRca with OpenAI', () => {
  it('should store the validated answer with source openai, the model and the time', async () => {
    const incident = await seedIncident();
    await seedRequests([{ latencyMs: 9100 }]);
    const updated = await generateRca(ctx.prisma, incident.id, { openai: fake.client() });
    expect(rcaOf(updated)).toMatchObject({ ...VALID_RCA, source: 'openai', model: 'gpt-4o-mini' });
    expect(updated.rcaGeneratedAt).toBeInstanceOf(Date);
    expect(rcaOf(updated).generatedAt).toBe(updated.rcaGeneratedAt!.toISOString());
    const stored = await ctx.prisma.incident.findUniqueOrThrow({ where: { id: incident.id } });
    expect(stored.rca).toEqual(updated.rca);
  });

  it('should ask the configured model for a JSON object, with the incident figures in the prompt', async () => {
    const incident = await seedIncident();
    await generateRca(ctx.prisma, incident.id, { openai: fake.client(), model: 'gpt-4.1-mini' });
    expect(fake.requests).toHaveLength(1);
    const sent = fake.requests[0]!;
    expect(sent.authorization).toBe('Bearer test');
    expect(sent.body.model).toBe('gpt-4.1-mini');
    expect(sent.body.response_format).toEqual({ type: 'json_object' });
    expect(fake.sentText()).toContain('"p95Ms": 8200');
  });

  it('should send related prompts PII-redacted and truncated, never raw', async () => {
    const p = (await createProject(ctx.app, await registerUser(ctx.app))).id;
    const incident = await seedIncident({ projectId: p });
    const longTail = 'q'.repeat(3_000);
    await seedRequests(
      [
        {
          prompt: `Please email the invoice to grace.hopper@example.com ${longTail}`,
          response: 'Sent to +1 415 555 2671',
          endUserId: 'heidi@example.com',
        },
      ],
      p,
    );
    await generateRca(ctx.prisma, incident.id, { openai: fake.client() });
    const text = fake.sentText();
    expect(text).toContain('Please email the invoice to [EMAIL]');
    expect(text).toContain('[PHONE]');
    expect(text).not.toMatch(/grace\.hopper|heidi@|555 2671/);
    expect(text).toContain('…[truncated]');
    expect(text).not.toContain('q'.repeat(500));
  });

  it('should log the outcome without customer text', async () => {
    const { logger, lines } = capturingLogger();
    const incident = await seedIncident();
    await seedRequests([{ prompt: 'secret plan for ivan@example.com' }]);
    await generateRca(ctx.prisma, incident.id, { openai: fake.client(), logger });
    const log = lines.join('\n');
    expect(log).toContain('incident rca stored');
    expect(log).toContain(incident.id);
    expect(log).not.toMatch(/secret plan|ivan@|slowed down/);
  });

  it('regenerateRca should write a fresh RCA over the stored one', async () => {
    const incident = await seedIncident();
    const first = await generateRca(ctx.prisma, incident.id, { openai: null });
    expect(rcaOf(first).source).toBe('fallback');
    const again = await regenerateRca(ctx.prisma, incident.id, { openai: fake.client() });
    expect(rcaOf(again).source).toBe('openai');
    expect(again.rcaGeneratedAt!.getTime()).toBeGreaterThanOrEqual(first.rcaGeneratedAt!.getTime());
  });
});

describe('generateRca fallback', () => {
  it('should store the fallback when the answer is not JSON', async () => {
    fake.reply({ kind: 'content', content: 'The root cause is probably the model.' });
    const incident = await seedIncident();
    const rca = rcaOf(await generateRca(ctx.prisma, incident.id, { openai: fake.client() }));
    expect(fake.requests).toHaveLength(1);
    expect(rca.source).toBe('fallback');
    expect(rca).not.toHaveProperty('model');
    expect(rca.severity).toBe('high');
    expect(rca.rootCause).toContain('p95 8200 ms, max 9100 ms');
    // Every sampled request used the slow gpt-4o: no model of the project's own to move to.
    expect(rca.suggestedRemediation).toBeUndefined();
  });

  it('should store the fallback when a field is missing', async () => {
    fake.reply({ kind: 'content', content: JSON.stringify({ severity: 'low', rootCause: 'x' }) });
    const incident = await seedIncident();
    expect(rcaOf(await generateRca(ctx.prisma, incident.id, { openai: fake.client() })).source).toBe('fallback');
  });

  it('should store the fallback on HTTP 500 after the bounded retries', async () => {
    fake.reply({ kind: 'error', status: 500 });
    const { logger, lines } = capturingLogger();
    const incident = await seedIncident();
    const rca = rcaOf(await generateRca(ctx.prisma, incident.id, { openai: fake.client({ maxRetries: 1 }), logger }));
    expect(rca.source).toBe('fallback');
    expect(fake.requests).toHaveLength(2);
    expect(lines.join('\n')).toContain('"failure":"http_500"');
  });

  it('should store the fallback when OpenAI answers after the timeout', async () => {
    fake.reply({ kind: 'content', content: JSON.stringify(VALID_RCA), delayMs: 2_000 });
    const incident = await seedIncident();
    const started = Date.now();
    const rca = rcaOf(await generateRca(ctx.prisma, incident.id, { openai: fake.client({ timeout: 200 }) }));
    expect(rca.source).toBe('fallback');
    expect(Date.now() - started).toBeLessThan(1_500);
  });

  it('should store the fallback without calling anything when there is no client', async () => {
    const incident = await seedIncident({ type: 'error_rate', endpoint: '', figures: { errorRate: 0.3 } });
    await seedRequests([{ status: 'error', error: 'Upstream 502', endpoint: null }]);
    const rca = rcaOf(await generateRca(ctx.prisma, incident.id, { openai: null }));
    expect(fake.requests).toHaveLength(0);
    expect(rca.source).toBe('fallback');
    expect(rca.rootCause).toContain('30% of requests');
    expect(rca.rootCause).toContain('"Upstream 502"');
  });

  it('should throw NOT_FOUND for an unknown incident', async () => {
    await expect(generateRca(ctx.prisma, uuidv7(), { openai: null })).rejects.toMatchObject({
      code: 'NOT_FOUND',
    } satisfies Partial<AppError>);
  });
});

describe('generateRca fallback on its own data', () => {
  it("latency: suggests moving the slow model's traffic to a model the project ran fast in the same window", async () => {
    const p = (await createProject(ctx.app, await registerUser(ctx.app))).id;
    const incident = await seedIncident({ projectId: p });
    await seedRequests(
      [
        { effectiveModel: 'o3', latencyMs: 12_000 },
        { effectiveModel: 'o3', latencyMs: 9_000 },
        { effectiveModel: 'gpt-4.1-mini', latencyMs: 700 },
        { effectiveModel: 'gpt-4.1-mini', latencyMs: 650 },
      ],
      p,
    );
    const rca = rcaOf(await generateRca(ctx.prisma, incident.id, { openai: null }));
    expect(rca.source).toBe('fallback');
    expect(rca.rootCause).toContain('2 of 2 slow sampled requests used o3');
    expect(rca.suggestedRemediation).toEqual({ action: 'switch_model', params: { from: 'o3', to: 'gpt-4.1-mini' } });
  });
});

describe('relatedRequests', () => {
  async function freshProject() {
    return (await createProject(ctx.app, await registerUser(ctx.app))).id;
  }

  it('latency: the slow requests of the endpoint within the window, newest first, at most the limit', async () => {
    const p = await freshProject();
    const incident = await seedIncident({ projectId: p });
    const slow = await seedRequests(
      Array.from({ length: 25 }, () => ({ latencyMs: 7000 })),
      p,
    );
    await seedRequests(
      [
        { latencyMs: 800 },
        { latencyMs: 9000, endpoint: 'search' },
        { latencyMs: 9000, createdAt: new Date(NOW - 3 * 3600_000) },
        { latencyMs: 9000, createdAt: new Date(NOW + 5 * 60_000) },
      ],
      p,
    );
    const rows = await relatedRequests(ctx.prisma, incident);
    expect(rows).toHaveLength(20);
    expect(rows.map((r) => r.id)).toEqual(
      slow
        .slice(-20)
        .reverse()
        .map((r) => r.id),
    );
    expect(await relatedRequests(ctx.prisma, incident, 5)).toHaveLength(5);
  });

  it('error_rate: only failed requests; risk: only scores above 80; others: any', async () => {
    const p = await freshProject();
    const [ok, failed, risky] = await seedRequests(
      [{ endpoint: null }, { endpoint: null, status: 'error' }, { endpoint: null, riskScore: 95 }],
      p,
    );
    const base = { projectId: p, endpoint: '', figures: {} };
    const ids = async (type: 'error_rate' | 'risk' | 'anomaly') =>
      (await relatedRequests(ctx.prisma, await seedIncident({ ...base, type }))).map((r) => r.id).sort();
    expect(await ids('error_rate')).toEqual([failed!.id]);
    expect(await ids('risk')).toEqual([risky!.id]);
    expect(await ids('anomaly')).toEqual([ok!.id, failed!.id, risky!.id].sort());
  });
});
