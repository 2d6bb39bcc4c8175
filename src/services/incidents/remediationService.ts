/**
 * Remediations: an incident's fix turned into policy. Stored with who/when/params and an
 * optional expiry; the project's cached context is invalidated on every replica, so the very
 * next /llm/request obeys (see remediationEnforcer.ts). A remediation that changes the
 * configuration (switch_model, change_system_prompt, increase_safety_threshold,
 * reset_settings) is also a new config version tagged with its incident; reverting it (or its
 * expiry) rolls back to the version before, unless the configuration changed again since.
 */
import type { PrismaClient } from '../../db/prisma.js';
import type { Prisma, RemediationAction } from '../../generated/prisma/client.js';
import { AppError } from '../../utils/AppError.js';
import type { AccessClaims } from '../../utils/jwt.js';
import type { RemediationInput } from '../../validators/incidentValidators.js';
import { recordAudit, type AuditContext } from '../ops/auditService.js';
import { getAccessibleIncident } from './incidentService.js';
import type { KeyCache } from '../auth/keyCache.js';
import { wholeList } from '../../validators/common.js';
import { DEFAULT_CONFIG, mergeConfig, type ModelConfig } from '../../domain/config/modelConfig.js';
import { commitChange, findVersion, lockProject, writeActive, type Tx } from '../projects/configVersionStore.js';

/** The config a remediation changes to, from the project's current one; null: not a config change. */
function configChangeOf(input: RemediationInput, current: ModelConfig): ModelConfig | null {
  const p = input.params as Record<string, unknown>;
  switch (input.action) {
    case 'switch_model':
      return typeof p.from === 'string'
        ? mergeConfig(current, { modelRoutes: { ...(current.modelRoutes ?? {}), [p.from]: String(p.to) } })
        : mergeConfig(current, { model: String(p.to) });
    case 'change_system_prompt':
      return mergeConfig(current, { systemPrompt: String(p.systemPrompt) });
    case 'increase_safety_threshold':
      return mergeConfig(current, { safetyThreshold: Number(p.threshold) });
    case 'reset_settings':
      return mergeConfig(current, DEFAULT_CONFIG);
    default:
      return null;
  }
}

/** What a config-changing remediation remembers: the version it made and the one before. */
interface VersionParams {
  configVersion?: number;
  previousVersion?: number;
}

/**
 * Rolls a remediation's config version back to the one before it, if that version is still
 * the active one (a later change by someone else is never undone). Returns whether it did.
 */
async function rollBackVersion(tx: Tx, row: RemediationAction): Promise<boolean> {
  const { configVersion, previousVersion } = row.params as VersionParams;
  if (configVersion === undefined || previousVersion === undefined) return false;
  const project = await lockProject(tx, row.projectId);
  if (project.activeConfigVersion !== configVersion) return false;
  const previous = await findVersion(tx, row.projectId, previousVersion);
  await writeActive(tx, row.projectId, previousVersion, previous.config as ModelConfig, { keepSplit: true });
  return true;
}

export async function applyRemediation(
  { prisma, cache }: { prisma: PrismaClient; cache: KeyCache },
  {
    caller,
    incidentId,
    input,
    audit: ctx,
  }: { caller: AccessClaims; incidentId: string; input: RemediationInput; audit: AuditContext },
): Promise<RemediationAction> {
  const incident = await getAccessibleIncident(prisma, incidentId, caller);
  const expiresAt = 'expiresAt' in input ? input.expiresAt : undefined;
  if (expiresAt && expiresAt <= new Date()) {
    throw new AppError('VALIDATION_ERROR', 'expiresAt must be in the future', {
      details: [{ path: 'expiresAt', message: 'must be in the future', code: 'too_small' }],
    });
  }
  const projectId = incident.projectId;
  const remediation = await prisma.$transaction(async (tx) => {
    if (input.action === 'reset_settings') {
      await tx.remediationAction.updateMany({
        where: { projectId, status: 'active' },
        data: { status: 'reverted', revertedAt: new Date(), revertedById: caller.sub },
      });
    }
    const row = await tx.remediationAction.create({
      data: {
        incidentId,
        projectId,
        action: input.action,
        params: input.params as Prisma.InputJsonValue,
        appliedById: caller.sub,
        expiresAt: expiresAt ?? null,
      },
    });
    if (configChangeOf(input, {}) === null) return row;
    const { version, previous } = await commitChange(tx, projectId, (current) => configChangeOf(input, current)!, {
      message: `remediation ${input.action} of incident "${incident.title}"`,
      createdById: caller.sub,
      incidentId,
      remediationId: row.id,
    });
    const versioned: VersionParams = { configVersion: version.number, previousVersion: previous };
    return tx.remediationAction.update({
      where: { id: row.id, projectId: row.projectId },
      data: { params: { ...(input.params as Record<string, unknown>), ...versioned } as Prisma.InputJsonValue },
    });
  });
  await cache.invalidateProject(projectId);
  await recordAudit(prisma, ctx, {
    action: 'remediation.apply',
    targetType: 'remediation',
    targetId: remediation.id,
    metadata: {
      incidentId,
      projectId,
      action: input.action,
      configVersion: (remediation.params as VersionParams).configVersion ?? null,
    },
  });
  return remediation;
}

export async function revertRemediation(
  { prisma, cache }: { prisma: PrismaClient; cache: KeyCache },
  {
    caller,
    incidentId,
    remediationId,
    audit: ctx,
  }: { caller: AccessClaims; incidentId: string; remediationId: string; audit: AuditContext },
): Promise<RemediationAction> {
  const incident = await getAccessibleIncident(prisma, incidentId, caller);
  const row = await prisma.remediationAction.findFirst({
    where: { id: remediationId, incidentId: incident.id, projectId: incident.projectId },
  });
  if (!row) throw AppError.notFound('Remediation');
  if (row.status !== 'active') throw new AppError('CONFLICT', `Remediation is already ${row.status}`);
  const { reverted, rolledBack } = await prisma.$transaction(async (tx) => ({
    rolledBack: await rollBackVersion(tx, row),
    reverted: await tx.remediationAction.update({
      where: { id: row.id, projectId: row.projectId },
      data: { status: 'reverted', revertedAt: new Date(), revertedById: caller.sub },
    }),
  }));
  await cache.invalidateProject(row.projectId);
  await recordAudit(prisma, ctx, {
    action: 'remediation.revert',
    targetType: 'remediation',
    targetId: row.id,
    metadata: {
      incidentId,
      projectId: row.projectId,
      action: row.action,
      rolledBackTo: rolledBack ? ((row.params as VersionParams).previousVersion ?? null) : null,
    },
  });
  return reverted;
}

export async function listRemediations(prisma: PrismaClient, caller: AccessClaims, incidentId: string) {
  const incident = await getAccessibleIncident(prisma, incidentId, caller);
  const data = await prisma.remediationAction.findMany({
    where: { incidentId: incident.id, projectId: incident.projectId },
    orderBy: { createdAt: 'desc' },
  });
  return wholeList(data);
}

/**
 * Marks remediations past their expiry (enforcement already ignores them) and rolls back the
 * config versions they made (as a revert does); returns the count.
 */
export async function expireRemediations(db: Tx, now = new Date()): Promise<number> {
  // The cron runs this inside its own transaction (under the job's advisory lock).
  const due = await db.remediationAction.findMany({ where: { status: 'active', expiresAt: { lte: now } } });
  let count = 0;
  for (const row of due) {
    const { count: n } = await db.remediationAction.updateMany({
      where: { id: row.id, projectId: row.projectId, status: 'active' },
      data: { status: 'expired' },
    });
    if (n === 1) await rollBackVersion(db, row);
    count += n;
  }
  return count;
}
