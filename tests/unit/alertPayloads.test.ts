import { createHmac } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import {
  backoffDelay,
  signWebhookBody,
  slackMessage,
  webhookRequest,
  type AlertIncidentSource,
} from '../../src/domain/incidents/alertPayloads.js';

const incident: AlertIncidentSource = {
  id: 'inc_1',
  projectId: 'prj_1',
  type: 'latency',
  severity: 'high',
  status: 'open',
  title: 'Latency <script> & co on chat',
  endpoint: 'chat',
  count: 4,
  firstSeenAt: new Date('2026-11-20T10:00:00Z'),
  lastSeenAt: new Date('2026-11-20T10:05:00Z'),
  rca: { severity: 'high', rootCause: 'gpt-4o slowed <down>', recommendedFix: 'Switch model', source: 'fallback' },
};
const SECRET = 'alert-secret-0123456789';
const SENT_AT = new Date('2026-11-20T10:06:00.000Z');

describe('webhookRequest', () => {
  it('should send the contract body with the incident and its rca', () => {
    const { body } = webhookRequest('opened', incident, SECRET, SENT_AT);
    expect(JSON.parse(body)).toEqual({
      event: 'opened',
      incident: {
        id: 'inc_1',
        projectId: 'prj_1',
        type: 'latency',
        severity: 'high',
        status: 'open',
        title: 'Latency <script> & co on chat',
        endpoint: 'chat',
        count: 4,
        firstSeenAt: '2026-11-20T10:00:00.000Z',
        lastSeenAt: '2026-11-20T10:05:00.000Z',
        rca: incident.rca,
      },
      sentAt: '2026-11-20T10:06:00.000Z',
    });
  });

  it('should sign the exact raw body with HMAC-SHA-256 of the secret and send the timestamp', () => {
    const { body, headers } = webhookRequest('resolved', incident, SECRET, SENT_AT);
    const expected = createHmac('sha256', SECRET).update(body).digest('hex');
    expect(headers['X-LLMGuard-Signature']).toBe(`sha256=${expected}`);
    expect(headers['X-LLMGuard-Timestamp']).toBe(String(SENT_AT.getTime() / 1000));
    expect(headers['X-LLMGuard-Event']).toBe('incident.resolved');
    expect(signWebhookBody(body + ' ', SECRET)).not.toBe(headers['X-LLMGuard-Signature']);
  });

  it('should omit the signature without a secret and the rca when there is none', () => {
    const { body, headers } = webhookRequest('opened', { ...incident, rca: null }, null, SENT_AT);
    expect(headers['X-LLMGuard-Signature']).toBeUndefined();
    expect(JSON.parse(body).incident).not.toHaveProperty('rca');
  });
});

describe('slackMessage', () => {
  it('should build text and blocks with the RCA, escaping Slack control characters', () => {
    const msg = slackMessage('opened', incident);
    expect(msg.text).toBe(':rotating_light: Incident opened: [HIGH] Latency &lt;script&gt; &amp; co on chat');
    const json = JSON.stringify(msg.blocks);
    expect(msg.blocks[0]).toMatchObject({ type: 'header', text: { type: 'plain_text' } });
    expect(json).toContain('*Root cause*\\ngpt-4o slowed &lt;down&gt;');
    expect(json).toContain('*Recommended fix*\\nSwitch model');
    expect(json).toContain('RCA: fallback');
  });

  it('should leave out the RCA section when the incident has none and respect the header limit', () => {
    const msg = slackMessage('escalated', { ...incident, rca: null, title: 'x'.repeat(400) });
    expect(JSON.stringify(msg.blocks)).not.toContain('Root cause');
    const header = msg.blocks[0] as { text: { text: string } };
    expect(header.text.text.length).toBeLessThanOrEqual(150);
    expect(msg.text.startsWith(':arrow_double_up: Incident escalated')).toBe(true);
  });
});

describe('backoffDelay', () => {
  it('should double from the base delay and cap', () => {
    expect([1, 2, 3, 4].map((n) => backoffDelay(n, 500))).toEqual([500, 1000, 2000, 4000]);
    expect(backoffDelay(20, 500)).toBe(60_000);
  });
});
