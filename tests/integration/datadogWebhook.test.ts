import { createHmac } from 'node:crypto';
import request from 'supertest';
import { beforeAll, describe, expect, it } from 'vitest';
import { bearer, createProject, registerUser, type TestProject } from '../helpers/factories.js';
import { useTestApp } from '../helpers/testApp.js';

const ctx = useTestApp({ openai: null });
const SECRET = 'datadog-shared-secret-0123456789';
let project: TestProject;

beforeAll(async () => {
  const user = await registerUser(ctx.app);
  project = await createProject(ctx.app, user);
  const res = await request(ctx.app)
    .post(`/api/v1/settings/project?projectId=${project.id}`)
    .set(bearer(user.accessToken))
    .send({ datadogWebhookSecret: SECRET });
  expect(res.status).toBe(200);
});

const sign = (raw: string, secret = SECRET) => createHmac('sha256', secret).update(raw).digest('hex');
function send(body: object, signature?: string | null, projectId = project.id) {
  const raw = JSON.stringify(body);
  const req = request(ctx.app)
    .post(`/api/v1/webhooks/datadog?projectId=${projectId}`)
    .set('Content-Type', 'application/json');
  if (signature !== null) req.set('X-Datadog-Signature', signature ?? sign(raw));
  return req.send(raw);
}
const alert = (over: Record<string, unknown> = {}) => ({
  id: `evt-${Math.random().toString(36).slice(2)}`,
  alertId: 'monitor-42',
  title: '[Triggered] p95 latency high on checkout',
  body: 'p95 > 2s for 5 minutes',
  alertType: 'error',
  transition: 'Triggered',
  priority: 'P2',
  link: 'https://app.datadoghq.com/monitors/42',
  tags: 'env:prod,service:checkout',
  ...over,
});
const externals = () =>
  ctx.prisma.incident.findMany({ where: { projectId: project.id, type: 'external' }, orderBy: { createdAt: 'asc' } });

describe('POST /webhooks/datadog', () => {
  it('should refuse a forged or missing signature with 401 and store nothing', async () => {
    const forged = await send(alert(), sign('something else'));
    expect(forged.status).toBe(401);
    expect(forged.body.error.code).toBe('UNAUTHORIZED');
    expect((await send(alert(), null)).status).toBe(401);
    expect((await send(alert(), sign(JSON.stringify(alert()), 'wrong-secret-wrong-secret'))).status).toBe(401);
    expect((await send(alert(), undefined, 'unknown-project')).status).toBe(401);
    expect(await externals()).toHaveLength(0);
    expect(await ctx.prisma.processedWebhookEvent.count({ where: { provider: 'datadog' } })).toBe(0);
  });

  it('should open an external incident mapping title, priority, tags and link', async () => {
    const res = await send(alert({ id: 'evt-1' }));
    expect(res.status).toBe(200);
    expect(res.body.status).toBe('opened');
    const [incident] = await externals();
    expect(incident).toMatchObject({
      type: 'external',
      severity: 'high',
      status: 'open',
      title: '[Triggered] p95 latency high on checkout',
      externalId: 'monitor-42',
    });
    expect(incident!.figures).toMatchObject({
      source: 'datadog',
      link: 'https://app.datadoghq.com/monitors/42',
      tags: ['env:prod', 'service:checkout'],
    });
  });

  it('should process a repeated event id once', async () => {
    const res = await send(alert({ id: 'evt-1' }));
    expect(res.status).toBe(200);
    expect(res.body.status).toBe('duplicate');
    expect((await externals())[0]!.count).toBe(1);
  });

  it('should fold a new event of the same alert into the open incident and escalate its severity', async () => {
    await send(alert({ id: 'evt-2', priority: 'P1' }));
    const list = await externals();
    expect(list).toHaveLength(1);
    expect(list[0]).toMatchObject({ count: 2, severity: 'critical' });
  });

  it('should resolve the incident on recovery', async () => {
    const res = await send(
      alert({ id: 'evt-3', transition: 'Recovered', title: '[Recovered] p95 latency high on checkout' }),
    );
    expect(res.body.status).toBe('resolved');
    expect((await externals())[0]).toMatchObject({ status: 'resolved', resolutionNote: 'Recovered in Datadog' });
  });

  it('should reject a signed but invalid body with 400', async () => {
    const res = await send({ title: 'no id' });
    expect(res.status).toBe(400);
  });

  it('should accept the priority-less template and map alertType', async () => {
    const res = await send({ id: 'evt-9', title: 'Disk almost full', alertType: 'warning' });
    expect(res.body.status).toBe('opened');
    expect((await externals()).find((i) => i.title === 'Disk almost full')?.severity).toBe('medium');
  });
});
