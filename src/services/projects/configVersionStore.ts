/**
 * Config versions inside a transaction: the building blocks the settings endpoints, the
 * config-versions API and remediations share. Every write takes the project row's lock first
 * (SELECT ... FOR UPDATE), so version numbers are allocated one at a time (no number is used
 * twice, no version is lost) and an activation writes the version's config and the active
 * number together: a reader sees one version or the next, never a mix.
 */
import { Prisma, type Project, type ProjectConfigVersion } from '../../generated/prisma/client.js';
import {
  configFromProject,
  projectColumns,
  type ModelConfig,
  type ProjectConfigColumns,
} from '../../domain/config/modelConfig.js';
import { AppError } from '../../utils/AppError.js';

export type Tx = Prisma.TransactionClient;

export interface VersionMeta {
  message?: string | null;
  createdById?: string | null;
  incidentId?: string | null;
  remediationId?: string | null;
}

/** Locks the project row for the rest of the transaction and returns it (404 if gone). */
export async function lockProject(tx: Tx, projectId: string): Promise<Project> {
  await tx.$queryRaw`SELECT id FROM projects WHERE id = ${projectId} FOR UPDATE`;
  const project = await tx.project.findUnique({ where: { id: projectId } });
  if (!project || project.deletedAt) throw AppError.notFound('Project');
  return project;
}

const columnsOf = (p: Project): ProjectConfigColumns => ({
  defaultModel: p.defaultModel,
  systemPrompt: p.systemPrompt,
  safetyThreshold: p.safetyThreshold,
  piiMode: p.piiMode,
  modelSettings: (p.modelSettings ?? {}) as Record<string, unknown>,
});

/** The config the (locked) project row holds now. */
export const currentConfig = (p: Project): ModelConfig => configFromProject(columnsOf(p));

/** Appends the next numbered version (the project must be locked). */
export async function appendVersion(
  tx: Tx,
  projectId: string,
  config: ModelConfig,
  meta: VersionMeta,
): Promise<ProjectConfigVersion> {
  const rows = await tx.$queryRaw<{ next: number }[]>`
    SELECT COALESCE(MAX(number), 0)::int + 1 AS next FROM project_config_versions WHERE "projectId" = ${projectId}`;
  return tx.projectConfigVersion.create({
    data: {
      projectId,
      number: rows[0]!.next,
      config: config as Prisma.InputJsonValue,
      message: meta.message ?? null,
      createdById: meta.createdById ?? null,
      incidentId: meta.incidentId ?? null,
      remediationId: meta.remediationId ?? null,
    },
  });
}

/**
 * A project created before versions existed (or by code that does not version) gets its
 * current settings as a version first, so a change always has something to diff against and
 * to roll back to. Returns the active version number.
 */
export async function ensureVersioned(tx: Tx, project: Project): Promise<number> {
  if (project.activeConfigVersion !== null) return project.activeConfigVersion;
  const v = await appendVersion(tx, project.id, currentConfig(project), { message: 'initial settings' });
  await tx.project.update({ where: { id: project.id }, data: { activeConfigVersion: v.number } });
  return v.number;
}

/**
 * Makes `config` (version `number`) the project's config: its columns and the active number in
 * one UPDATE. Ends a running split unless `keepSplit` (activating means "everyone gets this").
 */
export async function writeActive(
  tx: Tx,
  projectId: string,
  number: number,
  config: ModelConfig,
  options: { keepSplit?: boolean } = {},
): Promise<Project> {
  const cols = projectColumns(config);
  return tx.project.update({
    where: { id: projectId },
    data: {
      defaultModel: cols.defaultModel,
      systemPrompt: cols.systemPrompt,
      safetyThreshold: cols.safetyThreshold,
      piiMode: cols.piiMode,
      modelSettings: cols.modelSettings as Prisma.InputJsonValue,
      activeConfigVersion: number,
      ...(options.keepSplit ? {} : { configSplit: Prisma.DbNull }),
    },
  });
}

/** Loads version `number` of the project, 404 if it does not exist. */
export async function findVersion(tx: Tx, projectId: string, number: number): Promise<ProjectConfigVersion> {
  const v = await tx.projectConfigVersion.findUnique({ where: { projectId_number: { projectId, number } } });
  if (!v) throw AppError.notFound('Config version');
  return v;
}

/**
 * Locks the project, applies `change` to its active config as a new version and activates it:
 * what the settings endpoints and remediations do. Returns the new version and the one before.
 */
export async function commitChange(
  tx: Tx,
  projectId: string,
  change: (current: ModelConfig) => ModelConfig,
  meta: VersionMeta,
): Promise<{ version: ProjectConfigVersion; previous: number; project: Project }> {
  const locked = await lockProject(tx, projectId);
  const previous = await ensureVersioned(tx, locked);
  const config = change(currentConfig(locked));
  const version = await appendVersion(tx, projectId, config, meta);
  const project = await writeActive(tx, projectId, version.number, config, { keepSplit: true });
  return { version, previous, project };
}
