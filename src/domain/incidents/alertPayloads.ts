/**
 * What an incident alert looks like on the wire, pure: the signed generic-webhook body and
 * Slack's incoming-webhook message, plus the retry schedule.
 *
 * Generic webhook: `X-LLMGuard-Signature: sha256=<hex HMAC-SHA-256 of the raw body>` with the
 * project's alert secret. The body carries `sentAt`, so a receiver that verifies the signature
 * can also refuse stale deliveries (replays); `X-LLMGuard-Timestamp` repeats it in Unix seconds.
 */
import type { Incident } from '../../generated/prisma/client.js';
import type { IncidentEventKind } from '../../types/incidents.js';
import { hmacSha256Hex } from '../../utils/crypto.js';

export const SIGNATURE_HEADER = 'X-LLMGuard-Signature';
export const TIMESTAMP_HEADER = 'X-LLMGuard-Timestamp';

export type AlertIncidentSource = Pick<
  Incident,
  | 'id'
  | 'projectId'
  | 'type'
  | 'severity'
  | 'status'
  | 'title'
  | 'endpoint'
  | 'count'
  | 'firstSeenAt'
  | 'lastSeenAt'
  | 'rca'
>;

export interface AlertIncident {
  id: string;
  projectId: string;
  type: string;
  severity: string;
  status: string;
  title: string;
  endpoint: string;
  count: number;
  firstSeenAt: string;
  lastSeenAt: string;
  rca?: unknown;
}

export interface WebhookBody {
  event: IncidentEventKind;
  incident: AlertIncident;
  sentAt: string;
}

export function alertIncident(i: AlertIncidentSource): AlertIncident {
  return {
    id: i.id,
    projectId: i.projectId,
    type: i.type,
    severity: i.severity,
    status: i.status,
    title: i.title,
    endpoint: i.endpoint,
    count: i.count,
    firstSeenAt: i.firstSeenAt.toISOString(),
    lastSeenAt: i.lastSeenAt.toISOString(),
    ...(i.rca !== null && i.rca !== undefined ? { rca: i.rca } : {}),
  };
}

/** `sha256=<hex>` over the exact bytes sent. */
export function signWebhookBody(rawBody: string, secret: string): string {
  return `sha256=${hmacSha256Hex(rawBody, secret)}`;
}

/** The raw body and headers of one generic-webhook attempt (unsigned without a secret). */
export function webhookRequest(
  event: IncidentEventKind,
  incident: AlertIncidentSource,
  secret: string | null,
  sentAt: Date,
): { body: string; headers: Record<string, string> } {
  const payload: WebhookBody = { event, incident: alertIncident(incident), sentAt: sentAt.toISOString() };
  const body = JSON.stringify(payload);
  const headers: Record<string, string> = {
    [TIMESTAMP_HEADER]: String(Math.floor(sentAt.getTime() / 1000)),
    'X-LLMGuard-Event': `incident.${event}`,
  };
  if (secret) headers[SIGNATURE_HEADER] = signWebhookBody(body, secret);
  return { body, headers };
}

const EMOJI: Record<IncidentEventKind, string> = {
  opened: ':rotating_light:',
  escalated: ':arrow_double_up:',
  resolved: ':white_check_mark:',
};

/** Slack mrkdwn control characters (user text must not become links or mentions). */
const slackEscape = (s: string) => s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');
const clip = (s: string, max: number) => (s.length > max ? `${s.slice(0, max - 1)}…` : s);

interface RcaView {
  rootCause?: unknown;
  recommendedFix?: unknown;
  source?: unknown;
}

/** Slack incoming-webhook message: `text` for notifications, `blocks` for the channel (Block Kit limits respected). */
export function slackMessage(
  event: IncidentEventKind,
  incident: AlertIncidentSource,
): { text: string; blocks: object[] } {
  const title = clip(incident.title, 140);
  const text = `${EMOJI[event]} Incident ${event}: [${incident.severity.toUpperCase()}] ${slackEscape(title)}`;
  const field = (label: string, value: string) => ({ type: 'mrkdwn', text: `*${label}*\n${slackEscape(value)}` });
  const blocks: object[] = [
    { type: 'header', text: { type: 'plain_text', text: clip(`Incident ${event}: ${title}`, 150), emoji: true } },
    {
      type: 'section',
      fields: [
        field('Severity', incident.severity),
        field('Type', incident.type),
        field('Status', incident.status),
        field('Endpoint', incident.endpoint || '-'),
        field('Occurrences', String(incident.count)),
        field('Last seen', incident.lastSeenAt.toISOString()),
      ],
    },
  ];
  const rca = (incident.rca ?? null) as RcaView | null;
  if (rca && typeof rca.rootCause === 'string' && typeof rca.recommendedFix === 'string') {
    blocks.push({
      type: 'section',
      text: {
        type: 'mrkdwn',
        text: clip(
          `*Root cause*\n${slackEscape(rca.rootCause)}\n\n*Recommended fix*\n${slackEscape(rca.recommendedFix)}`,
          3000,
        ),
      },
    });
  }
  blocks.push({
    type: 'context',
    elements: [
      {
        type: 'mrkdwn',
        text: `LLMGuard incident ${incident.id} · project ${incident.projectId}${rca && typeof rca.source === 'string' ? ` · RCA: ${rca.source}` : ''}`,
      },
    ],
  });
  return { text, blocks };
}

/** Wait before retry number `attempt` (1-based: the wait after the first failure is `baseDelayMs`). */
export function backoffDelay(attempt: number, baseDelayMs: number, maxDelayMs = 60_000): number {
  return Math.min(maxDelayMs, baseDelayMs * 2 ** (attempt - 1));
}
