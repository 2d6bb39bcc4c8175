/**
 * Datadog webhook intake: the signature (hex HMAC-SHA-256 of the raw body with the project's
 * Datadog secret) is checked before anything is parsed or stored; each event id is processed
 * once; a triggered alert becomes (or updates) an `external` incident, a recovery resolves it.
 */
import type { PrismaClient } from '../../db/prisma.js';
import { AppError } from '../../utils/AppError.js';
import { decryptSecret, hmacSha256Hex, safeEqual } from '../../utils/crypto.js';
import type { Severity } from '../../domain/incidents/incidentRules.js';
import { datadogBody } from '../../validators/incidentValidators.js';
import type { IncidentEvents } from './incidentEvents.js';
import { closeIncident, upsertIncident } from './incidentService.js';

const unauthorized = () => new AppError('UNAUTHORIZED', 'Invalid or missing X-Datadog-Signature');

export function severityFromDatadog(priority?: string | null, alertType?: string | null): Severity {
  switch (priority?.toUpperCase()) {
    case 'P1':
      return 'critical';
    case 'P2':
      return 'high';
    case 'P3':
      return 'medium';
    case 'P4':
    case 'P5':
      return 'low';
  }
  if (alertType === 'error') return 'high';
  if (alertType === 'warning') return 'medium';
  return 'low';
}

/** Verifies the signature for the project; throws 401 without revealing whether the project exists. */
export async function verifyDatadogSignature(
  prisma: PrismaClient,
  projectId: string,
  rawBody: Buffer | undefined,
  signature: string | undefined,
): Promise<void> {
  if (!signature || !rawBody) throw unauthorized();
  const project = await prisma.project.findUnique({
    where: { id: projectId },
    select: { datadogWebhookSecretEnc: true, deletedAt: true },
  });
  if (!project?.datadogWebhookSecretEnc || project.deletedAt) throw unauthorized();
  const expected = hmacSha256Hex(rawBody, decryptSecret(project.datadogWebhookSecretEnc));
  if (!safeEqual(expected, signature.trim().toLowerCase())) throw unauthorized();
}

export async function handleDatadogAlert(
  prisma: PrismaClient,
  events: IncidentEvents,
  projectId: string,
  body: unknown,
): Promise<{ status: 'opened' | 'updated' | 'resolved' | 'ignored' | 'duplicate'; incidentId?: string }> {
  const alert = datadogBody.parse(body);
  const alertKey = alert.alertId ?? alert.title;
  const openKey = `external:${alertKey}`.slice(0, 500);
  const recovered = /^(recovered|resolved|ok)$/i.test(alert.transition ?? '');

  const result = await prisma.$transaction(async (tx) => {
    const fresh = await tx.$executeRaw`
      INSERT INTO processed_webhook_events (provider, "eventId") VALUES ('datadog', ${`${projectId}:${alert.id}`})
      ON CONFLICT DO NOTHING`;
    if (fresh === 0) return { status: 'duplicate' as const };
    if (recovered) {
      const open = await tx.incident.findFirst({ where: { projectId, openKey, status: 'open' }, select: { id: true } });
      return open ? { status: 'resolve' as const, incidentId: open.id } : { status: 'ignored' as const };
    }
    const outcome = await upsertIncident(
      tx,
      {
        projectId,
        type: 'external',
        severity: severityFromDatadog(alert.priority, alert.alertType),
        title: alert.title,
        description: alert.body ?? undefined,
        externalId: alertKey,
        figures: {
          source: 'datadog',
          eventId: alert.id,
          priority: alert.priority ?? null,
          alertType: alert.alertType ?? null,
          transition: alert.transition ?? null,
          link: alert.link ?? null,
          tags:
            typeof alert.tags === 'string'
              ? alert.tags
                  .split(',')
                  .map((t) => t.trim())
                  .filter(Boolean)
              : (alert.tags ?? []),
          date: alert.date ?? null,
        },
      },
      openKey,
    );
    return { status: outcome.created ? ('opened' as const) : ('updated' as const), outcome };
  });

  if (result.status === 'resolve') {
    await closeIncident(prisma, events, { id: result.incidentId, projectId }, { note: 'Recovered in Datadog' });
    return { status: 'resolved', incidentId: result.incidentId };
  }
  if ('outcome' in result && result.outcome) {
    const { incident, created, escalated } = result.outcome;
    if (created) events.emit({ kind: 'opened', incidentId: incident.id, projectId });
    else if (escalated) events.emit({ kind: 'escalated', incidentId: incident.id, projectId });
    return { status: result.status, incidentId: incident.id };
  }
  return { status: result.status as 'ignored' | 'duplicate' };
}
