/**
 * Incident alerts to a project's channels: a generic webhook signed with HMAC-SHA-256 and a
 * Slack incoming webhook. Each (channel, event) is one AlertDelivery row, the delivery log of
 * the incident, updated after every attempt. Failed attempts are retried with exponential
 * backoff: network errors, timeouts, 408, 429 and 5xx; other answers (4xx, redirects) are final.
 * Webhook URLs are never logged: Slack's carries its secret token.
 */
import { setTimeout as sleep } from 'node:timers/promises';
import type { Logger } from 'pino';
import type { PrismaClient } from '../../db/prisma.js';
import type { AlertDelivery } from '../../generated/prisma/client.js';
import {
  backoffDelay,
  SIGNATURE_HEADER,
  signWebhookBody,
  slackMessage,
  TIMESTAMP_HEADER,
  webhookRequest,
  type AlertIncidentSource,
} from '../../domain/incidents/alertPayloads.js';
import { decryptSecret } from '../../utils/crypto.js';
import { logger as defaultLogger } from '../../utils/logger.js';
import type { IncidentEvent, IncidentEventKind } from './incidentEvents.js';
import { env } from '../../config/env.js';
import { privateDestination } from '../../utils/ssrf.js';

export interface AlertOptions {
  /** Attempts per channel and event, the first included. */
  attempts: number;
  /** Wait after the first failure; doubled after each further one. */
  baseDelayMs: number;
  /** Per attempt, response body included. */
  timeoutMs: number;
}

export const DEFAULT_ALERT_OPTIONS: AlertOptions = { attempts: 4, baseDelayMs: 500, timeoutMs: 5_000 };

export type AlertChannel = 'webhook' | 'slack';

export interface AlertDeps {
  logger?: Logger;
  options?: Partial<AlertOptions>;
}

class DeliveryError extends Error {
  constructor(
    message: string,
    readonly retryable: boolean,
  ) {
    super(message);
  }
}

type Attempt = () => { body: string; headers: Record<string, string> };

async function post(url: string, attempt: Attempt, timeoutMs: number): Promise<void> {
  if (!env.ALERT_ALLOW_PRIVATE_NETWORKS) {
    const refused = await privateDestination(url);
    if (refused) throw new DeliveryError(`blocked: ${refused}`, false);
  }
  const { body, headers } = attempt();
  let res: Response;
  try {
    res = await fetch(url, {
      method: 'POST',
      headers: { 'Content-Type': 'application/json', 'User-Agent': 'LLMGuard-Alerts/1', ...headers },
      body,
      // A redirect is an answer to fix in the settings, not a hop to follow to another host.
      redirect: 'manual',
      signal: AbortSignal.timeout(timeoutMs),
    });
  } catch (err) {
    throw new DeliveryError(networkError(err, timeoutMs), true);
  }
  let text = '';
  try {
    text = (await res.text()).slice(0, 200);
  } catch {
    // the status decides; an unreadable body changes nothing
  }
  if (res.status >= 200 && res.status < 300) return;
  const retryable = res.status >= 500 || res.status === 408 || res.status === 429;
  throw new DeliveryError(`HTTP ${res.status}${text ? `: ${text}` : ''}`, retryable);
}

function networkError(err: unknown, timeoutMs: number): string {
  const e = err as { name?: string; message?: string; cause?: { code?: string; message?: string } };
  if (e?.name === 'TimeoutError') return `timeout after ${timeoutMs} ms`;
  return `network error: ${e?.cause?.code ?? e?.cause?.message ?? e?.message ?? String(err)}`;
}

/** Runs the attempts of one delivery row, updating it after each; returns the final row. */
async function deliver(
  prisma: PrismaClient,
  row: AlertDelivery,
  url: string,
  attempt: Attempt,
  options: AlertOptions,
  logger: Logger,
): Promise<AlertDelivery> {
  const log = { incidentId: row.incidentId, deliveryId: row.id, channel: row.channel, event: row.event };
  let lastError = 'not attempted';
  for (let n = 1; n <= options.attempts; n++) {
    try {
      await post(url, attempt, options.timeoutMs);
      logger.info({ ...log, attempts: n }, 'incident alert delivered');
      return prisma.alertDelivery.update({
        where: { id: row.id },
        data: { attempts: n, status: 'delivered', deliveredAt: new Date(), lastError: null },
      });
    } catch (err) {
      const final = !(err instanceof DeliveryError && err.retryable) || n === options.attempts;
      lastError = err instanceof Error ? err.message : String(err);
      await prisma.alertDelivery.update({
        where: { id: row.id },
        data: { attempts: n, lastError, ...(final ? { status: 'failed' } : {}) },
      });
      if (final) break;
      await sleep(backoffDelay(n, options.baseDelayMs));
    }
  }
  logger.warn({ ...log, lastError }, 'incident alert failed');
  return prisma.alertDelivery.findUniqueOrThrow({ where: { id: row.id } });
}

function readSecret(ciphertext: string | null): { secret: string | null; error?: string } {
  if (!ciphertext) return { secret: null };
  try {
    return { secret: decryptSecret(ciphertext) };
  } catch {
    return { secret: null, error: 'alert secret cannot be decrypted (encryption key missing); not sent unsigned' };
  }
}

/**
 * Notifies every configured channel of the incident's project about `event`, retrying as
 * configured, and returns the delivery rows (none when no channel is set or the incident or
 * project is gone). Never throws for a receiver's failure: that is recorded on the row.
 */
export async function notifyIncident(
  prisma: PrismaClient,
  event: Pick<IncidentEvent, 'kind' | 'incidentId'> & { projectId?: string },
  deps: AlertDeps = {},
): Promise<AlertDelivery[]> {
  const logger = deps.logger ?? defaultLogger;
  const options = { ...DEFAULT_ALERT_OPTIONS, ...deps.options };
  const incident = await prisma.incident.findFirst({
    where: { id: event.incidentId, ...(event.projectId ? { projectId: event.projectId } : {}) },
    include: {
      project: {
        select: { alertWebhookUrl: true, alertWebhookSecretEnc: true, slackWebhookUrl: true, deletedAt: true },
      },
    },
  });
  if (!incident || incident.project.deletedAt) return [];
  const { project } = incident;
  const kind: IncidentEventKind = event.kind;
  const jobs: Promise<AlertDelivery>[] = [];
  const newRow = (channel: AlertChannel) =>
    prisma.alertDelivery.create({ data: { incidentId: incident.id, channel, event: kind, status: 'pending' } });

  if (project.alertWebhookUrl) {
    const url = project.alertWebhookUrl;
    const { secret, error } = readSecret(project.alertWebhookSecretEnc);
    jobs.push(
      newRow('webhook').then((row) =>
        error
          ? prisma.alertDelivery.update({ where: { id: row.id }, data: { status: 'failed', lastError: error } })
          : deliver(
              prisma,
              row,
              url,
              () => webhookRequest(kind, incident as AlertIncidentSource, secret, new Date()),
              options,
              logger,
            ),
      ),
    );
  }
  if (project.slackWebhookUrl) {
    const url = project.slackWebhookUrl;
    const body = JSON.stringify(slackMessage(kind, incident));
    jobs.push(newRow('slack').then((row) => deliver(prisma, row, url, () => ({ body, headers: {} }), options, logger)));
  }
  return Promise.all(jobs);
}

/** The delivery log of one incident, oldest first (mount behind the incident's access check). */
export function listDeliveries(prisma: PrismaClient, incidentId: string): Promise<AlertDelivery[]> {
  return prisma.alertDelivery.findMany({ where: { incidentId }, orderBy: [{ createdAt: 'asc' }, { id: 'asc' }] });
}

/**
 * One signed test delivery to the project's alert webhook (no retries, no incident): the body is
 * `{ event: "test", projectId, sentAt, message }`, signed like incident alerts. Never throws for
 * the receiver's failure: `{ delivered: false, error }`.
 */
export async function sendTestAlert(
  input: { url: string; secret: string | null; projectId: string; now?: Date },
  options: Partial<AlertOptions> = {},
): Promise<{ delivered: boolean; error: string | null; signed: boolean }> {
  const sentAt = input.now ?? new Date();
  const body = JSON.stringify({
    event: 'test',
    projectId: input.projectId,
    sentAt: sentAt.toISOString(),
    message: 'LLMGuard test alert: your webhook is reachable.',
  });
  const headers: Record<string, string> = {
    [TIMESTAMP_HEADER]: String(Math.floor(sentAt.getTime() / 1000)),
    'X-LLMGuard-Event': 'test',
  };
  if (input.secret) headers[SIGNATURE_HEADER] = signWebhookBody(body, input.secret);
  try {
    await post(input.url, () => ({ body, headers }), options.timeoutMs ?? DEFAULT_ALERT_OPTIONS.timeoutMs);
    return { delivered: true, error: null, signed: input.secret !== null };
  } catch (err) {
    return { delivered: false, error: err instanceof Error ? err.message : String(err), signed: input.secret !== null };
  }
}

/** The project's alert webhook and its decrypted secret (null when unset or unreadable). */
export async function alertWebhookOf(prisma: PrismaClient, projectId: string) {
  const p = await prisma.project.findUnique({
    where: { id: projectId },
    select: { alertWebhookUrl: true, alertWebhookSecretEnc: true },
  });
  return { url: p?.alertWebhookUrl ?? null, secret: readSecret(p?.alertWebhookSecretEnc ?? null).secret };
}
