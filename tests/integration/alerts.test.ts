import { createHmac } from 'node:crypto';
import { once } from 'node:events';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import request from 'supertest';
import { afterAll, describe, expect, it } from 'vitest';
import { notifyIncident, listDeliveries } from '../../src/services/incidents/alertService.js';
import { IncidentEvents } from '../../src/services/incidents/incidentEvents.js';
import { decryptSecret, encryptSecret } from '../../src/utils/crypto.js';
import { bearer, createProject, registerUser, type TestUser } from '../helpers/factories.js';
import { startFakeOpenAI, VALID_RCA } from '../helpers/fakeOpenAI.js';
import { seedIncident as seedIncidentRow } from '../helpers/incidentFixtures.js';
import { useTestApp } from '../helpers/testApp.js';

interface Received {
  headers: http.IncomingHttpHeaders;
  raw: string;
}

/** A local alert receiver answering the given statuses in order (then 200), optionally after a delay. */
async function startReceiver(statuses: number[] = [], delayMs = 0) {
  const received: Received[] = [];
  const server = http.createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      received.push({ headers: req.headers, raw: Buffer.concat(chunks).toString('utf8') });
      const status = statuses[received.length - 1] ?? 200;
      const answer = () => !res.destroyed && res.writeHead(status).end(status === 200 ? 'ok' : 'receiver down');
      if (delayMs) setTimeout(answer, delayMs).unref();
      else answer();
    });
  });
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/hook`;
  const close = () =>
    new Promise<void>((resolve) => {
      server.closeAllConnections();
      server.close(() => resolve());
    });
  return { url, received, close };
}

const SECRET = 'alert-signing-secret-0123456789';
const FAST = { attempts: 4, baseDelayMs: 5, timeoutMs: 1_000 };
const fake = await startFakeOpenAI();
const events = new IncidentEvents();
// The app wires RCA + alerts onto its emitter: the end-to-end tests emit on it.
const ctx = useTestApp({ incidentEvents: events, openai: fake.client(), alertOptions: FAST });
afterAll(() => fake.close());

/** A project of a new user (the free plan allows 3 projects per user). */
async function ownedProject(): Promise<{ id: string; user: TestUser }> {
  const user = await registerUser(ctx.app);
  return { id: (await createProject(ctx.app, user)).id, user };
}

async function projectWith(settings: { webhook?: string; slack?: string; secret?: string | null }) {
  const { id } = await ownedProject();
  await ctx.prisma.project.update({
    where: { id },
    data: {
      alertWebhookUrl: settings.webhook ?? null,
      slackWebhookUrl: settings.slack ?? null,
      alertWebhookSecretEnc: settings.secret ? encryptSecret(settings.secret) : null,
    },
  });
  return id;
}

const seedIncident = (projectId: string) => seedIncidentRow(ctx.prisma, projectId);

const verify = (r: Received, secret: string) =>
  r.headers['x-llmguard-signature'] === `sha256=${createHmac('sha256', secret).update(r.raw).digest('hex')}`;

describe('alert settings', () => {
  it('should store the alert secret encrypted, read it back masked, and keep the Slack URL', async () => {
    const { id, user } = await ownedProject();
    const res = await request(ctx.app)
      .post(`/api/v1/settings/project?projectId=${id}`)
      .set(bearer(user.accessToken))
      .send({ alertWebhookSecret: SECRET, slackWebhookUrl: 'https://hooks.slack.com/services/T0/B0/xyz' });
    expect(res.status).toBe(200);
    expect(res.body.project.alertWebhookSecret).toBe('••••6789');
    expect(res.body.project.slackWebhookUrl).toBe('https://hooks.slack.com/services/T0/B0/xyz');
    expect(JSON.stringify(res.body)).not.toContain(SECRET);
    const row = await ctx.prisma.project.findUniqueOrThrow({ where: { id } });
    expect(decryptSecret(row.alertWebhookSecretEnc!)).toBe(SECRET);
    const get = await request(ctx.app).get(`/api/v1/settings/project?projectId=${id}`).set(bearer(user.accessToken));
    expect(get.body.project).toMatchObject({ alertWebhookSecret: '••••6789' });
  });

  it.each([
    [{ alertWebhookSecret: 'too-short' }, 'alertWebhookSecret'],
    [{ slackWebhookUrl: 'http://hooks.slack.com/services/x' }, 'slackWebhookUrl'],
  ])('should reject %j with 400', async (body, path) => {
    const { id, user } = await ownedProject();
    const res = await request(ctx.app)
      .post(`/api/v1/settings/project?projectId=${id}`)
      .set(bearer(user.accessToken))
      .send(body);
    expect(res.status).toBe(400);
    expect(res.body.error.details[0].path).toBe(path);
  });
});

describe('notifyIncident', () => {
  it('should retry a failing webhook with backoff and log delivered after 3 attempts, signed', async () => {
    const receiver = await startReceiver([503, 503]);
    const incident = await seedIncident(await projectWith({ webhook: receiver.url, secret: SECRET }));
    const [delivery] = await notifyIncident(ctx.prisma, { kind: 'opened', incidentId: incident.id }, { options: FAST });
    await receiver.close();
    expect(delivery).toMatchObject({
      channel: 'webhook',
      event: 'opened',
      status: 'delivered',
      attempts: 3,
      lastError: null,
    });
    expect(delivery!.deliveredAt).toBeInstanceOf(Date);
    expect(receiver.received).toHaveLength(3);
    for (const r of receiver.received) {
      expect(verify(r, SECRET)).toBe(true);
      expect(verify(r, 'another-secret-0123456789')).toBe(false);
      expect(Number(r.headers['x-llmguard-timestamp'])).toBeCloseTo(Date.now() / 1000, -2);
    }
    const body = JSON.parse(receiver.received[2]!.raw);
    expect(body).toMatchObject({ event: 'opened', incident: { id: incident.id, type: 'latency', severity: 'high' } });
    expect(Date.parse(body.sentAt)).not.toBeNaN();
  });

  it('should send Slack incoming-webhook messages with text and blocks', async () => {
    const receiver = await startReceiver();
    const incident = await seedIncident(await projectWith({ slack: receiver.url }));
    const [delivery] = await notifyIncident(
      ctx.prisma,
      { kind: 'escalated', incidentId: incident.id },
      { options: FAST },
    );
    await receiver.close();
    expect(delivery).toMatchObject({ channel: 'slack', event: 'escalated', status: 'delivered', attempts: 1 });
    const body = JSON.parse(receiver.received[0]!.raw);
    expect(body.text).toContain('Incident escalated: [HIGH] Latency above 5000 ms on chat');
    expect(body.blocks[0]).toMatchObject({ type: 'header' });
    expect(receiver.received[0]!.headers['x-llmguard-signature']).toBeUndefined();
  });

  it('should mark the delivery failed after N attempts when the receiver keeps failing', async () => {
    const receiver = await startReceiver([500, 500, 500, 500, 500]);
    const incident = await seedIncident(await projectWith({ webhook: receiver.url, secret: SECRET }));
    const [delivery] = await notifyIncident(
      ctx.prisma,
      { kind: 'opened', incidentId: incident.id },
      { options: { ...FAST, attempts: 3 } },
    );
    await receiver.close();
    expect(delivery).toMatchObject({
      status: 'failed',
      attempts: 3,
      lastError: 'HTTP 500: receiver down',
      deliveredAt: null,
    });
    expect(receiver.received).toHaveLength(3);
  });

  it('should not retry an answer that retrying cannot fix (404)', async () => {
    const receiver = await startReceiver([404]);
    const incident = await seedIncident(await projectWith({ webhook: receiver.url }));
    const [delivery] = await notifyIncident(ctx.prisma, { kind: 'opened', incidentId: incident.id }, { options: FAST });
    await receiver.close();
    expect(delivery).toMatchObject({ status: 'failed', attempts: 1 });
    expect(receiver.received).toHaveLength(1);
  });

  it('should give up on a receiver that does not answer within the timeout', async () => {
    const receiver = await startReceiver([], 1_000);
    const incident = await seedIncident(await projectWith({ webhook: receiver.url }));
    const [delivery] = await notifyIncident(
      ctx.prisma,
      { kind: 'opened', incidentId: incident.id },
      { options: { attempts: 2, baseDelayMs: 5, timeoutMs: 100 } },
    );
    await receiver.close();
    expect(delivery).toMatchObject({ status: 'failed', attempts: 2, lastError: 'timeout after 100 ms' });
  });

  it('should deliver nothing and log nothing for a project without channels', async () => {
    const incident = await seedIncident(await projectWith({}));
    expect(await notifyIncident(ctx.prisma, { kind: 'opened', incidentId: incident.id })).toEqual([]);
    expect(await listDeliveries(ctx.prisma, incident.id)).toEqual([]);
  });
});

describe('incident reactions (createApp wiring)', () => {
  it('on opened: should store the RCA, then alert every channel with it; the delivery log lists both', async () => {
    const webhook = await startReceiver();
    const slack = await startReceiver();
    const projectId = await projectWith({ webhook: webhook.url, slack: slack.url, secret: SECRET });
    const incident = await seedIncident(projectId);
    events.emit({ kind: 'opened', incidentId: incident.id, projectId });
    await events.idle();
    await Promise.all([webhook.close(), slack.close()]);

    const stored = await ctx.prisma.incident.findUniqueOrThrow({ where: { id: incident.id } });
    expect(stored.rca).toMatchObject({ source: 'openai', rootCause: VALID_RCA.rootCause });
    const body = JSON.parse(webhook.received[0]!.raw);
    expect(verify(webhook.received[0]!, SECRET)).toBe(true);
    expect(body.incident.rca).toMatchObject({ source: 'openai', rootCause: VALID_RCA.rootCause });
    expect(slack.received[0]!.raw).toContain('Root cause');
    const log = await listDeliveries(ctx.prisma, incident.id);
    expect(log.map((d) => [d.channel, d.event, d.status]).sort()).toEqual([
      ['slack', 'opened', 'delivered'],
      ['webhook', 'opened', 'delivered'],
    ]);
  });

  it('on opened with OpenAI failing: should still alert, carrying the fallback RCA', async () => {
    fake.reply({ kind: 'error', status: 500 });
    const webhook = await startReceiver();
    const projectId = await projectWith({ webhook: webhook.url, secret: SECRET });
    const incident = await seedIncident(projectId);
    events.emit({ kind: 'opened', incidentId: incident.id, projectId });
    await events.idle();
    await webhook.close();
    fake.reply({ kind: 'content', content: JSON.stringify(VALID_RCA) });
    expect(JSON.parse(webhook.received[0]!.raw).incident.rca).toMatchObject({ source: 'fallback' });
  });

  it('on escalated and resolved: should alert without rewriting the RCA', async () => {
    const webhook = await startReceiver();
    const projectId = await projectWith({ webhook: webhook.url, secret: SECRET });
    const incident = await seedIncident(projectId);
    const calls = fake.requests.length;
    events.emit({ kind: 'escalated', incidentId: incident.id, projectId });
    await events.idle();
    await ctx.prisma.incident.update({
      where: { id: incident.id },
      data: { status: 'resolved', resolvedAt: new Date() },
    });
    events.emit({ kind: 'resolved', incidentId: incident.id, projectId });
    await events.idle();
    await webhook.close();
    expect(fake.requests.length).toBe(calls);
    expect(webhook.received.map((r) => JSON.parse(r.raw).event)).toEqual(['escalated', 'resolved']);
    expect(JSON.parse(webhook.received[1]!.raw).incident.status).toBe('resolved');
    expect((await ctx.prisma.incident.findUniqueOrThrow({ where: { id: incident.id } })).rca).toBeNull();
    expect((await listDeliveries(ctx.prisma, incident.id)).map((d) => d.event)).toEqual(['escalated', 'resolved']);
  });
});
