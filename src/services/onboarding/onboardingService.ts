/**
 * The setup guide, derived from real data (never a checklist the client ticks): projects, keys,
 * the first logged call, audit rows of settings changes, alert tests and incident views, and the
 * subscription. One query gives every step's completion time for any set of users, so the guide
 * of one user and the admin funnel over many read the same definition.
 */
import type { PrismaClient } from '../../db/prisma.js';
import {
  ONBOARDING_STEPS,
  onboardingView,
  type ExampleContext,
  type OnboardingStepId,
} from '../../domain/onboarding/onboardingSteps.js';
import { AppError } from '../../utils/AppError.js';
import type { AccessClaims } from '../../utils/jwt.js';
import { alertWebhookOf, sendTestAlert } from '../incidents/alertService.js';
import { recordAudit, type AuditContext } from '../ops/auditService.js';
import { getAccessibleProject } from '../projects/projectService.js';

type StepTimes = Record<OnboardingStepId, Date | null>;

/** When each step was first done, per user (a missing user has every step null). */
export async function stepTimes(prisma: PrismaClient, userIds: string[]): Promise<Map<string, StepTimes>> {
  if (userIds.length === 0) return new Map();
  const rows = await prisma.$queryRaw<({ userId: string } & StepTimes)[]>`
    SELECT u.id AS "userId",
      (SELECT min(p."createdAt") FROM projects p WHERE p."ownerId" = u.id AND p."deletedAt" IS NULL) AS create_project,
      (SELECT min(k."createdAt") FROM api_keys k JOIN projects p ON p.id = k."projectId"
        WHERE p."ownerId" = u.id AND p."deletedAt" IS NULL) AS create_api_key,
      (SELECT min(f.t) FROM projects p CROSS JOIN LATERAL (
          SELECT r."createdAt" AS t FROM llm_requests r WHERE r."projectId" = p.id ORDER BY r."createdAt" ASC LIMIT 1) f
        WHERE p."ownerId" = u.id) AS first_request,
      (SELECT min(a."createdAt") FROM audit_logs a WHERE a."actorId" = u.id AND a.action = 'project.settings_update'
        AND a.metadata -> 'changed' @> '["safetyThreshold"]'::jsonb) AS review_threshold,
      (SELECT min(a."createdAt") FROM audit_logs a WHERE a."actorId" = u.id AND a.action = 'alerts.test'
        AND a.metadata @> '{"delivered": true}'::jsonb) AS alert_webhook,
      (SELECT min(a."createdAt") FROM audit_logs a WHERE a."actorId" = u.id
        AND a.action IN ('incident.view', 'incident.resolve', 'remediation.apply')) AS first_incident,
      (SELECT coalesce(s."currentPeriodStart", s."updatedAt") FROM subscriptions s
        WHERE s."userId" = u.id AND s.plan <> 'free') AS choose_plan
    FROM users u WHERE u.id = ANY(${userIds}::text[])`;
  return new Map(rows.map(({ userId, ...times }) => [userId, times]));
}

/**
 * The caller's guide: steps with done/doneAt/next (examples with their first project's id and key
 * prefix), progress and dismissed. A step seen done for the first time is written to the audit log
 * (`onboarding.step_completed`, with when it was done).
 */
export async function getOnboarding(
  prisma: PrismaClient,
  input: { caller: AccessClaims; baseUrl: string; audit: AuditContext },
) {
  const userId = input.caller.sub;
  const [times, user, firstProject, logged] = await Promise.all([
    stepTimes(prisma, [userId]),
    prisma.user.findUnique({ where: { id: userId }, select: { onboardingDismissedAt: true } }),
    prisma.project.findFirst({
      where: { ownerId: userId, deletedAt: null },
      orderBy: { createdAt: 'asc' },
      select: {
        id: true,
        apiKeys: { where: { revokedAt: null }, orderBy: { createdAt: 'desc' }, take: 1, select: { prefix: true } },
      },
    }),
    prisma.auditLog.findMany({
      where: { actorId: userId, action: 'onboarding.step_completed' },
      select: { targetId: true },
    }),
  ]);
  if (!user) throw AppError.notFound('User');
  const doneAt = times.get(userId) ?? ({} as StepTimes);
  const already = new Set(logged.map((l) => l.targetId));
  for (const step of ONBOARDING_STEPS) {
    const at = doneAt[step];
    if (!at || already.has(step)) continue;
    await recordAudit(prisma, input.audit, {
      action: 'onboarding.step_completed',
      targetType: 'onboarding_step',
      targetId: step,
      metadata: { doneAt: at.toISOString() },
    });
  }
  const context: ExampleContext = {
    baseUrl: input.baseUrl,
    projectId: firstProject?.id ?? null,
    keyPrefix: firstProject?.apiKeys[0]?.prefix ?? null,
  };
  return {
    ...onboardingView(doneAt, context),
    dismissed: user.onboardingDismissedAt !== null,
    dismissedAt: user.onboardingDismissedAt,
    projectId: context.projectId,
    keyPrefix: context.keyPrefix,
  };
}

/** Hides the guide for the caller (idempotent: the first dismissal time is kept). */
export async function dismissOnboarding(prisma: PrismaClient, input: { userId: string; audit: AuditContext }) {
  const { count } = await prisma.user.updateMany({
    where: { id: input.userId, onboardingDismissedAt: null },
    data: { onboardingDismissedAt: new Date() },
  });
  if (count > 0)
    await recordAudit(prisma, input.audit, {
      action: 'onboarding.dismiss',
      targetType: 'user',
      targetId: input.userId,
    });
}

/**
 * Sends a signed test alert to the project's webhook (404 for a project the caller cannot see,
 * 409 when no webhook is set); the outcome is audited as `alerts.test`, which the guide reads.
 */
export async function testAlertWebhook(
  prisma: PrismaClient,
  input: { caller: AccessClaims; projectId: string; audit: AuditContext; timeoutMs?: number },
) {
  await getAccessibleProject(prisma, input.projectId, input.caller);
  const { url, secret } = await alertWebhookOf(prisma, input.projectId);
  if (!url)
    throw new AppError('CONFLICT', 'The project has no alert webhook: set alertWebhookUrl in its settings first');
  const outcome = await sendTestAlert({ url, secret, projectId: input.projectId }, { timeoutMs: input.timeoutMs });
  await recordAudit(prisma, input.audit, {
    action: 'alerts.test',
    targetType: 'project',
    targetId: input.projectId,
    metadata: { delivered: outcome.delivered, signed: outcome.signed, error: outcome.error },
  });
  return outcome;
}

/** Notes the caller's first look at an incident (the guide's first_incident step); once per user. */
export async function noteIncidentViewed(prisma: PrismaClient, input: { incidentId: string; audit: AuditContext }) {
  const actorId = input.audit.actorId;
  if (!actorId) return;
  const seen = await prisma.auditLog.findFirst({ where: { actorId, action: 'incident.view' }, select: { id: true } });
  if (seen) return;
  await recordAudit(prisma, input.audit, {
    action: 'incident.view',
    targetType: 'incident',
    targetId: input.incidentId,
  });
}

/** Users who signed up in [from, to), and how many of them have done each step (as of now). */
export async function onboardingFunnel(prisma: PrismaClient, q: { from: Date; to: Date }) {
  const users = await prisma.user.findMany({
    where: { createdAt: { gte: q.from, lt: q.to } },
    select: { id: true },
  });
  const times = await stepTimes(
    prisma,
    users.map((u) => u.id),
  );
  const total = users.length;
  return {
    from: q.from,
    to: q.to,
    users: total,
    steps: ONBOARDING_STEPS.map((id) => {
      const done = [...times.values()].filter((t) => t[id] !== null).length;
      return { id, users: done, share: total ? Math.round((done / total) * 10_000) / 10_000 : 0 };
    }),
  };
}
