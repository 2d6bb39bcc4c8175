/**
 * Versioned model configurations of a project: list, read (with the diff against the version
 * before), create from a partial change of the active one, activate (or roll back), and A/B
 * splits between versions. Every change is audited and broadcast to every replica's project
 * cache (keyCache, over the notify bus), so the next /llm/request anywhere uses it.
 */
import type { PrismaClient } from '../../db/prisma.js';
import { Prisma, type ProjectConfigVersion } from '../../generated/prisma/client.js';
import { diffConfig, mergeConfig, type ModelConfig, type SplitArm } from '../../domain/config/modelConfig.js';
import { AppError } from '../../utils/AppError.js';
import type { AccessClaims } from '../../utils/jwt.js';
import type { ConfigSplitInput, CreateConfigVersionInput } from '../../validators/configVersionValidators.js';
import { recordAudit, type AuditContext } from '../ops/auditService.js';
import type { KeyCache } from '../auth/keyCache.js';
import { FLAGS, type FeatureFlags } from '../flags/featureFlags.js';
import { getAccessibleProject } from './projectService.js';
import { pageArgs, pageOf, type PageQuery } from '../../validators/common.js';
import {
  appendVersion,
  currentConfig,
  ensureVersioned,
  findVersion,
  lockProject,
  writeActive,
} from './configVersionStore.js';

export interface ConfigDeps {
  prisma: PrismaClient;
  keyCache: KeyCache;
  /** gates starting a split (flag `config-splits`); without it, splits are always allowed */
  flags?: FeatureFlags;
}

interface Call {
  caller: AccessClaims;
  projectId: string;
  ctx: AuditContext;
}

export interface ConfigSplit {
  arms: SplitArm[];
  startedAt: string;
}

export interface PublicConfigVersion {
  number: number;
  config: ModelConfig;
  message: string | null;
  createdAt: Date;
  createdBy: string | null;
  incidentId: string | null;
  remediationId: string | null;
  active: boolean;
  /** the weight of this version while it is an arm of the running split */
  splitWeight: number | null;
}

export const readSplit = (raw: unknown): ConfigSplit | null => (raw ? (raw as ConfigSplit) : null);

function toPublic(v: ProjectConfigVersion, active: number | null, split: ConfigSplit | null): PublicConfigVersion {
  return {
    number: v.number,
    config: v.config as ModelConfig,
    message: v.message,
    createdAt: v.createdAt,
    createdBy: v.createdById,
    incidentId: v.incidentId,
    remediationId: v.remediationId,
    active: v.number === active,
    splitWeight: split?.arms.find((a) => a.version === v.number)?.weight ?? null,
  };
}

/** The project (404 for another tenant's) with its versions started if it had none. */
async function versionedProject(prisma: PrismaClient, caller: AccessClaims, projectId: string) {
  const project = await getAccessibleProject(prisma, projectId, caller);
  if (project.activeConfigVersion !== null) return project;
  return prisma.$transaction(async (tx) => {
    const locked = await lockProject(tx, projectId);
    await ensureVersioned(tx, locked);
    return tx.project.findUniqueOrThrow({ where: { id: projectId } });
  });
}

/** GET /projects/:id/config-versions: newest first, with the active one and the split marked. */
export async function listConfigVersions(
  { prisma }: ConfigDeps,
  { caller, projectId, page }: Omit<Call, 'ctx'> & { page: PageQuery },
) {
  const project = await versionedProject(prisma, caller, projectId);
  const split = readSplit(project.configSplit);
  const [rows, total] = await Promise.all([
    prisma.projectConfigVersion.findMany({
      where: { projectId },
      orderBy: { number: 'desc' },
      ...pageArgs(page),
    }),
    prisma.projectConfigVersion.count({ where: { projectId } }),
  ]);
  return {
    ...pageOf(
      rows.map((v) => toPublic(v, project.activeConfigVersion, split)),
      page,
      total,
    ),
    activeVersion: project.activeConfigVersion,
    split,
  };
}

/** GET /projects/:id/config-versions/:n: the version and what it changed against n - 1. */
export async function getConfigVersion(
  { prisma }: ConfigDeps,
  { caller, projectId, number }: Omit<Call, 'ctx'> & { number: number },
) {
  const project = await versionedProject(prisma, caller, projectId);
  const version = await findVersion(prisma, projectId, number);
  const previous =
    number > 1
      ? await prisma.projectConfigVersion.findUnique({ where: { projectId_number: { projectId, number: number - 1 } } })
      : null;
  return {
    ...toPublic(version, project.activeConfigVersion, readSplit(project.configSplit)),
    diff: diffConfig((previous?.config as ModelConfig | undefined) ?? null, version.config as ModelConfig),
  };
}

/** POST /projects/:id/config-versions: the active config with `change` applied, as a new (inactive) version. */
export async function createConfigVersion(
  deps: ConfigDeps,
  { caller, projectId, ctx, input }: Call & { input: CreateConfigVersionInput },
) {
  await getAccessibleProject(deps.prisma, projectId, caller);
  const { version, project } = await deps.prisma.$transaction(async (tx) => {
    const locked = await lockProject(tx, projectId);
    await ensureVersioned(tx, locked);
    const config = mergeConfig(currentConfig(locked), input.config as Partial<ModelConfig>);
    const v = await appendVersion(tx, projectId, config, { message: input.message, createdById: caller.sub });
    const p = input.activate ? await writeActive(tx, projectId, v.number, config) : locked;
    await recordAudit(tx, ctx, {
      action: 'config_version.create',
      targetType: 'project',
      targetId: projectId,
      metadata: { version: v.number, changed: Object.keys(input.config), activated: input.activate === true },
    });
    return { version: v, project: p };
  });
  if (input.activate) await deps.keyCache.invalidateProject(projectId);
  return toPublic(version, project.activeConfigVersion, readSplit(project.configSplit));
}

/**
 * POST /projects/:id/config-versions/:n/activate: version n becomes the config of every call
 * (rolling back is activating an older number). One UPDATE under the project's lock; a running
 * split ends.
 */
export async function activateConfigVersion(
  deps: ConfigDeps,
  { caller, projectId, ctx, number, reason }: Call & { number: number; reason?: Prisma.InputJsonValue },
) {
  await getAccessibleProject(deps.prisma, projectId, caller);
  const result = await deps.prisma.$transaction(async (tx) => {
    const locked = await lockProject(tx, projectId);
    const from = await ensureVersioned(tx, locked);
    const version = await findVersion(tx, projectId, number);
    const project = await writeActive(tx, projectId, number, version.config as ModelConfig);
    await recordAudit(tx, ctx, {
      action: 'config_version.activate',
      targetType: 'project',
      targetId: projectId,
      metadata: {
        version: number,
        previousVersion: from,
        endedSplit: locked.configSplit !== null,
        reason: reason ?? null,
      },
    });
    return { version, project };
  });
  await deps.keyCache.invalidateProject(projectId);
  return toPublic(result.version, result.project.activeConfigVersion, null);
}

/** PUT /projects/:id/config-split: run these versions side by side with these weights. */
export async function setConfigSplit(
  deps: ConfigDeps,
  { caller, projectId, ctx, input }: Call & { input: ConfigSplitInput },
) {
  await getAccessibleProject(deps.prisma, projectId, caller);
  // Absent flag = on: the gate only bites once an admin creates the flag.
  const subject = { userId: caller.sub, projectId };
  if (deps.flags && !(await deps.flags.isEnabled(FLAGS.configSplits, subject, true))) {
    throw new AppError(
      'FEATURE_DISABLED',
      `A/B splits are not enabled for this account (feature flag ${FLAGS.configSplits})`,
      {
        details: { flag: FLAGS.configSplits },
      },
    );
  }
  const split: ConfigSplit = { arms: input.arms, startedAt: new Date().toISOString() };
  await deps.prisma.$transaction(async (tx) => {
    const locked = await lockProject(tx, projectId);
    await ensureVersioned(tx, locked);
    const found = await tx.projectConfigVersion.count({
      where: { projectId, number: { in: input.arms.map((a) => a.version) } },
    });
    if (found !== input.arms.length) throw AppError.notFound('Config version');
    await tx.project.update({
      where: { id: projectId },
      data: { configSplit: split as unknown as Prisma.InputJsonValue },
    });
    await recordAudit(tx, ctx, {
      action: 'config_split.set',
      targetType: 'project',
      targetId: projectId,
      metadata: { arms: input.arms, previous: locked.configSplit ?? null } as Prisma.InputJsonValue,
    });
  });
  await deps.keyCache.invalidateProject(projectId);
  return split;
}

/** DELETE /projects/:id/config-split: every call gets the active version again. */
export async function endConfigSplit(deps: ConfigDeps, { caller, projectId, ctx }: Call) {
  await getAccessibleProject(deps.prisma, projectId, caller);
  await deps.prisma.$transaction(async (tx) => {
    const locked = await lockProject(tx, projectId);
    if (!locked.configSplit) throw AppError.notFound('Config split');
    await tx.project.update({ where: { id: projectId }, data: { configSplit: Prisma.DbNull } });
    await recordAudit(tx, ctx, {
      action: 'config_split.end',
      targetType: 'project',
      targetId: projectId,
      metadata: { split: locked.configSplit },
    });
  });
  await deps.keyCache.invalidateProject(projectId);
}

/** POST /projects/:id/config-split/promote: ends the split with one of its arms active. */
export async function promoteSplitArm(
  deps: ConfigDeps,
  { caller, projectId, ctx, version }: Call & { version: number },
) {
  await getAccessibleProject(deps.prisma, projectId, caller);
  const result = await deps.prisma.$transaction(async (tx) => {
    const locked = await lockProject(tx, projectId);
    const split = readSplit(locked.configSplit);
    if (!split) throw AppError.notFound('Config split');
    if (!split.arms.some((a) => a.version === version)) {
      throw new AppError('VALIDATION_ERROR', `Version ${version} is not an arm of the running split`, {
        details: [{ path: 'version', message: 'not an arm of the running split', code: 'custom' }],
      });
    }
    const v = await findVersion(tx, projectId, version);
    const project = await writeActive(tx, projectId, version, v.config as ModelConfig);
    await recordAudit(tx, ctx, {
      action: 'config_split.promote',
      targetType: 'project',
      targetId: projectId,
      metadata: { version, previousVersion: locked.activeConfigVersion, split: locked.configSplit },
    });
    return { version: v, project };
  });
  await deps.keyCache.invalidateProject(projectId);
  return toPublic(result.version, result.project.activeConfigVersion, null);
}
