/**
 * Project guard settings and model settings. Changes take effect on the next /llm/request
 * (the project's cached context is invalidated on every replica) and are audit-logged.
 * The Datadog and alert webhook secrets are write-only: stored encrypted, read back masked.
 */
import type { PrismaClient } from '../../db/prisma.js';
import type { Prisma, Project } from '../../generated/prisma/client.js';
import { decryptSecret, encryptSecret } from '../../utils/crypto.js';
import type { AccessClaims } from '../../utils/jwt.js';
import type { ModelSettingsInput, ProjectSettingsInput } from '../../validators/projectValidators.js';
import { recordAudit, type AuditContext } from '../ops/auditService.js';
import type { KeyCache } from '../auth/keyCache.js';
import { getAccessibleProject, toPublicProject, type PublicProject } from './projectService.js';
import { COLUMN_FIELDS, mergeConfig, type ModelConfig } from '../../domain/config/modelConfig.js';
import { commitChange } from './configVersionStore.js';

export function maskSecret(ciphertext: string | null): string | null {
  if (!ciphertext) return null;
  try {
    return `••••${decryptSecret(ciphertext).slice(-4)}`;
  } catch {
    return '••••';
  }
}

function withMaskedSecrets(project: Project): PublicProject {
  return toPublicProject(
    project,
    maskSecret(project.datadogWebhookSecretEnc),
    maskSecret(project.alertWebhookSecretEnc),
  );
}

export async function getProjectSettings(prisma: PrismaClient, caller: AccessClaims, projectId: string) {
  return withMaskedSecrets(await getAccessibleProject(prisma, projectId, caller));
}

export async function updateProjectSettings(
  { prisma, cache }: { prisma: PrismaClient; cache: KeyCache },
  {
    caller,
    projectId,
    input,
    audit: ctx,
  }: { caller: AccessClaims; projectId: string; input: ProjectSettingsInput; audit: AuditContext },
): Promise<PublicProject> {
  await getAccessibleProject(prisma, projectId, caller);
  const { datadogWebhookSecret, alertWebhookSecret, ...plain } = input;
  // Settings that shape a call go through a new config version; the rest are plain columns.
  const configChange: Partial<ModelConfig> = {};
  const data: Prisma.ProjectUpdateInput = {};
  for (const [k, v] of Object.entries(plain)) {
    if (v === undefined) continue;
    if ((COLUMN_FIELDS as readonly string[]).includes(k)) configChange[k] = v as ModelConfig[string];
    else (data as Record<string, unknown>)[k] = v;
  }
  if (datadogWebhookSecret !== undefined) {
    data.datadogWebhookSecretEnc = datadogWebhookSecret === null ? null : encryptSecret(datadogWebhookSecret);
  }
  if (alertWebhookSecret !== undefined) {
    data.alertWebhookSecretEnc = alertWebhookSecret === null ? null : encryptSecret(alertWebhookSecret);
  }
  const updated = await prisma.$transaction(async (tx) => {
    if (Object.keys(configChange).length > 0) {
      await commitChange(tx, projectId, (current) => mergeConfig(current, configChange), {
        message: `settings: ${Object.keys(configChange).join(', ')}`,
        createdById: caller.sub,
      });
    }
    return tx.project.update({ where: { id: projectId }, data });
  });
  await cache.invalidateProject(projectId);
  const changed = Object.keys(input).filter((k) => input[k as keyof ProjectSettingsInput] !== undefined);
  await recordAudit(prisma, ctx, {
    action: 'project.settings_update',
    targetType: 'project',
    targetId: projectId,
    metadata: { changed },
  });
  return withMaskedSecrets(updated);
}

export interface ModelSettings {
  allowedModels: string[] | null;
  fallbackModel: string | null;
  priceOverrides: Record<string, { inputPerMTok: number; outputPerMTok: number }> | null;
}

export function readModelSettings(raw: unknown): ModelSettings {
  const v = (raw ?? {}) as Partial<ModelSettings>;
  return {
    allowedModels: v.allowedModels ?? null,
    fallbackModel: v.fallbackModel ?? null,
    priceOverrides: v.priceOverrides ?? null,
  };
}

export async function getModelSettings(
  prisma: PrismaClient,
  caller: AccessClaims,
  projectId: string,
): Promise<ModelSettings> {
  return readModelSettings((await getAccessibleProject(prisma, projectId, caller)).modelSettings);
}

/** Merges the given fields into the model settings (null clears one). */
export async function updateModelSettings(
  { prisma, cache }: { prisma: PrismaClient; cache: KeyCache },
  {
    caller,
    projectId,
    input,
    audit: ctx,
  }: { caller: AccessClaims; projectId: string; input: ModelSettingsInput; audit: AuditContext },
): Promise<ModelSettings> {
  await getAccessibleProject(prisma, projectId, caller);
  const { project } = await prisma.$transaction((tx) =>
    commitChange(tx, projectId, (current) => mergeConfig(current, input as Partial<ModelConfig>), {
      message: `model settings: ${Object.keys(input).join(', ')}`,
      createdById: caller.sub,
    }),
  );
  const next = readModelSettings(project.modelSettings);
  await cache.invalidateProject(projectId);
  await recordAudit(prisma, ctx, {
    action: 'project.model_settings_update',
    targetType: 'project',
    targetId: projectId,
    metadata: { changed: Object.keys(input) },
  });
  return next;
}
