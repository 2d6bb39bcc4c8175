/**
 * Admin changes to feature flags: create, change, archive. Each change is one transaction with
 * its audit row (`feature_flag.create`, `feature_flag.update`, `feature_flag.archive`), then a
 * notification so every replica drops its cached flags.
 */
import type { PrismaClient } from '../../db/prisma.js';
import type { FeatureFlag, Prisma } from '../../generated/prisma/client.js';
import type { FlagVariant } from '../../domain/flags/flagRules.js';
import { AppError } from '../../utils/AppError.js';
import { wholeList, type Page } from '../../validators/common.js';
import type { CreateFlagInput, UpdateFlagInput } from '../../validators/flagValidators.js';
import { recordAudit, type AuditContext } from '../ops/auditService.js';
import type { FeatureFlags } from './featureFlags.js';

export interface FlagAdminDeps {
  prisma: PrismaClient;
  flags: FeatureFlags;
}

export interface PublicFlag {
  key: string;
  description: string | null;
  enabled: boolean;
  rolloutPercent: number;
  allowUsers: string[];
  denyUsers: string[];
  allowProjects: string[];
  denyProjects: string[];
  variants: FlagVariant[];
  archived: boolean;
  archivedAt: Date | null;
  createdBy: string | null;
  createdAt: Date;
  updatedAt: Date;
}

const CHANGEABLE = [
  'description',
  'enabled',
  'rolloutPercent',
  'allowUsers',
  'denyUsers',
  'allowProjects',
  'denyProjects',
  'variants',
] as const;

function toPublic(row: FeatureFlag): PublicFlag {
  return {
    key: row.key,
    description: row.description,
    enabled: row.enabled,
    rolloutPercent: row.rolloutPercent,
    allowUsers: row.allowUsers,
    denyUsers: row.denyUsers,
    allowProjects: row.allowProjects,
    denyProjects: row.denyProjects,
    variants: (row.variants ?? []) as unknown as FlagVariant[],
    archived: row.archivedAt !== null,
    archivedAt: row.archivedAt,
    createdBy: row.createdById,
    createdAt: row.createdAt,
    updatedAt: row.updatedAt,
  };
}

/** The flag's row locked for the rest of the transaction; 404 when there is none. */
async function lockFlag(tx: Prisma.TransactionClient, key: string): Promise<FeatureFlag> {
  await tx.$queryRaw`SELECT 1 FROM feature_flags WHERE key = ${key} FOR UPDATE`;
  const row = await tx.featureFlag.findUnique({ where: { key } });
  if (!row) throw AppError.notFound('Feature flag');
  return row;
}

/** GET /admin/flags: every flag by key (archived ones unless `archived=false`). */
export async function listFlags(
  prisma: PrismaClient,
  query: { archived?: 'true' | 'false' },
): Promise<Page<PublicFlag>> {
  const rows = await prisma.featureFlag.findMany({
    where: query.archived === 'false' ? { archivedAt: null } : {},
    orderBy: { key: 'asc' },
  });
  return wholeList(rows.map(toPublic));
}

/** POST /admin/flags: 409 when the key exists (archived flags keep their key). */
export async function createFlag(deps: FlagAdminDeps, ctx: AuditContext, input: CreateFlagInput): Promise<PublicFlag> {
  const { key, variants, ...fields } = input;
  const row = await deps.prisma.$transaction(async (tx) => {
    if (await tx.featureFlag.findUnique({ where: { key }, select: { key: true } })) {
      throw new AppError('CONFLICT', `Feature flag ${key} already exists`);
    }
    const created = await tx.featureFlag.create({
      data: {
        key,
        ...fields,
        ...(variants ? { variants: variants as Prisma.InputJsonValue } : {}),
        createdById: ctx.actorId ?? null,
      },
    });
    await recordAudit(tx, ctx, {
      action: 'feature_flag.create',
      targetType: 'feature_flag',
      targetId: key,
      metadata: { flag: toPublic(created) } as unknown as Prisma.InputJsonValue,
    });
    return created;
  });
  await deps.flags.invalidate(key);
  return toPublic(row);
}

/** PATCH /admin/flags/:key: the named fields change; the audit row keeps each one's before and after. */
export async function updateFlag(
  deps: FlagAdminDeps,
  ctx: AuditContext,
  key: string,
  input: UpdateFlagInput,
): Promise<PublicFlag> {
  const row = await deps.prisma.$transaction(async (tx) => {
    const before = await lockFlag(tx, key);
    if (before.archivedAt) throw new AppError('CONFLICT', `Feature flag ${key} is archived; create a new one`);
    const { variants, ...fields } = input;
    const after = await tx.featureFlag.update({
      where: { key },
      data: { ...fields, ...(variants ? { variants: variants as Prisma.InputJsonValue } : {}) },
    });
    const changes = CHANGEABLE.filter((f) => f in input).map((field) => ({
      field,
      from: toPublic(before)[field],
      to: toPublic(after)[field],
    }));
    await recordAudit(tx, ctx, {
      action: 'feature_flag.update',
      targetType: 'feature_flag',
      targetId: key,
      metadata: { changes } as unknown as Prisma.InputJsonValue,
    });
    return after;
  });
  await deps.flags.invalidate(key);
  return toPublic(row);
}

/** POST /admin/flags/:key/archive (or DELETE): off for everyone for good; archiving twice changes nothing. */
export async function archiveFlag(deps: FlagAdminDeps, ctx: AuditContext, key: string): Promise<PublicFlag> {
  const { row, changed } = await deps.prisma.$transaction(async (tx) => {
    const before = await lockFlag(tx, key);
    if (before.archivedAt) return { row: before, changed: false };
    const after = await tx.featureFlag.update({ where: { key }, data: { archivedAt: new Date() } });
    await recordAudit(tx, ctx, {
      action: 'feature_flag.archive',
      targetType: 'feature_flag',
      targetId: key,
      metadata: { flag: toPublic(before) } as unknown as Prisma.InputJsonValue,
    });
    return { row: after, changed: true };
  });
  if (changed) await deps.flags.invalidate(key);
  return toPublic(row);
}
