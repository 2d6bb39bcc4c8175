/**
 * Projects belong to one owner; only the owner (or an admin) sees or changes one, anyone
 * else gets 404 — never a hint that it exists.
 */
import type { PrismaClient } from '../../db/prisma.js';
import type { Project } from '../../generated/prisma/client.js';
import { AppError } from '../../utils/AppError.js';
import type { AccessClaims } from '../../utils/jwt.js';
import { recordAudit, type AuditContext } from '../ops/auditService.js';
import { createApiKey, type PublicApiKey } from '../auth/apiKeyService.js';
import type { KeyCache } from '../auth/keyCache.js';
import { planConfigFromEnv, type PlanConfig } from '../../config/plans.js';
import { assertProjectAllowance } from '../billing/quotaService.js';
import { ensureVersioned } from './configVersionStore.js';
import { pageArgs, pageOf, type PageQuery } from '../../validators/common.js';

export interface PublicProject {
  id: string;
  name: string;
  description: string | null;
  ownerId: string;
  safetyThreshold: number;
  piiMode: string;
  guardMode: string;
  defaultModel: string | null;
  systemPrompt: string | null;
  alertWebhookUrl: string | null;
  slackWebhookUrl: string | null;
  /** write-only secret, shown masked (last 4 characters) */
  datadogWebhookSecret: string | null;
  /** write-only secret signing alert webhooks, shown masked (last 4 characters) */
  alertWebhookSecret: string | null;
  createdAt: Date;
  updatedAt: Date;
}

export function toPublicProject(
  p: Project,
  maskedDatadogSecret: string | null = null,
  maskedAlertSecret: string | null = null,
): PublicProject {
  return {
    id: p.id,
    name: p.name,
    description: p.description,
    ownerId: p.ownerId,
    safetyThreshold: p.safetyThreshold,
    piiMode: p.piiMode,
    guardMode: p.guardMode,
    defaultModel: p.defaultModel,
    systemPrompt: p.systemPrompt,
    alertWebhookUrl: p.alertWebhookUrl,
    slackWebhookUrl: p.slackWebhookUrl,
    datadogWebhookSecret: maskedDatadogSecret,
    alertWebhookSecret: maskedAlertSecret,
    createdAt: p.createdAt,
    updatedAt: p.updatedAt,
  };
}

/** The project if the caller may see it; 404 otherwise (also for deleted projects). */
export async function getAccessibleProject(
  prisma: PrismaClient,
  projectId: string,
  caller: AccessClaims,
): Promise<Project> {
  const project = await prisma.project.findUnique({ where: { id: projectId } });
  if (!project || project.deletedAt || (project.ownerId !== caller.sub && caller.role !== 'admin')) {
    throw AppError.notFound('Project');
  }
  return project;
}

/**
 * The projects a row looked up by its own id (a log, an incident) may belong to for this caller:
 * the caller's live projects, or undefined for an admin (any project). Naming them keeps the
 * lookup on those projects' shards under the sharding plan (docs/SCALING.md), not on every shard.
 */
export async function accessibleProjectIds(
  prisma: Pick<PrismaClient, 'project'>,
  caller: AccessClaims,
): Promise<{ in: string[] } | undefined> {
  if (caller.role === 'admin') return undefined;
  const own = await prisma.project.findMany({ where: { ownerId: caller.sub, deletedAt: null }, select: { id: true } });
  return { in: own.map((p) => p.id) };
}

export async function listProjects(prisma: PrismaClient, { caller, page }: { caller: AccessClaims; page: PageQuery }) {
  const where = { ownerId: caller.sub, deletedAt: null };
  const [rows, total] = await Promise.all([
    prisma.project.findMany({ where, orderBy: { createdAt: 'desc' }, ...pageArgs(page) }),
    prisma.project.count({ where }),
  ]);
  return pageOf(
    rows.map((p) => toPublicProject(p)),
    page,
    total,
  );
}

/** Creates a project and its first API key in one transaction, within the owner's plan limit. */
export async function createProject(
  prisma: PrismaClient,
  caller: AccessClaims,
  input: { name: string; description?: string },
  ctx: AuditContext,
  plans: PlanConfig = planConfigFromEnv(),
): Promise<{ project: PublicProject; apiKey: PublicApiKey }> {
  return prisma.$transaction(async (tx) => {
    await assertProjectAllowance(tx, caller.sub, plans); // 403 PLAN_LIMIT at the plan's project limit
    const project = await tx.project.create({
      data: { ownerId: caller.sub, name: input.name, description: input.description ?? null },
    });
    await ensureVersioned(tx, project); // its settings are config version 1
    await recordAudit(tx, ctx, {
      action: 'project.create',
      targetType: 'project',
      targetId: project.id,
      metadata: { name: project.name },
    });
    const apiKey = await createApiKey(tx, project.id, { name: 'default' }, ctx);
    return { project: toPublicProject(project), apiKey };
  });
}

/**
 * Deletes a project: its keys stop working at once (revoked and broadcast), the project
 * disappears from the API, and its data is purged in the background (purgeDeletedProjects).
 */
export async function deleteProject(
  prisma: PrismaClient,
  cache: KeyCache,
  caller: AccessClaims,
  projectId: string,
  ctx: AuditContext,
): Promise<void> {
  const project = await getAccessibleProject(prisma, projectId, caller);
  const keys = await prisma.apiKey.findMany({ where: { projectId }, select: { keyHash: true } });
  const now = new Date();
  await prisma.$transaction([
    prisma.project.update({ where: { id: project.id }, data: { deletedAt: now } }),
    prisma.apiKey.updateMany({ where: { projectId, revokedAt: null }, data: { revokedAt: now } }),
  ]);
  await Promise.all([...keys.map((k) => cache.invalidateKey(k.keyHash)), cache.invalidateProject(projectId)]);
  await recordAudit(prisma, ctx, { action: 'project.delete', targetType: 'project', targetId: projectId });
}

/**
 * Removes the data of deleted projects: logs in batches (so a huge project does not hold one
 * giant transaction), then the project row, whose foreign keys cascade to the rest.
 */
export async function purgeDeletedProjects(prisma: Pick<PrismaClient, 'project' | '$executeRaw'>, batchSize = 10_000) {
  const doomed = await prisma.project.findMany({ where: { deletedAt: { not: null } }, select: { id: true } });
  let requests = 0;
  for (const { id } of doomed) {
    for (;;) {
      const n = await prisma.$executeRaw`
        DELETE FROM llm_requests WHERE "projectId" = ${id}
          AND id IN (SELECT id FROM llm_requests WHERE "projectId" = ${id} LIMIT ${batchSize})`;
      requests += n;
      if (n < batchSize) break;
    }
    await prisma.project.delete({ where: { id } });
  }
  return { projects: doomed.length, requests };
}
