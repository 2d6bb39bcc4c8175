/**
 * A project's upstream providers and their API keys: the gateway's secret store. Each key
 * version is sealed by envelope encryption (providerKeys.ts); `secrets:rotate` re-encrypts the
 * data keys only, the API key ciphertexts never change. Keys are write-only through the API:
 * reads show the last 4 characters. Rotation adds a version and makes it active; an older
 * version can then be revoked (its key material is erased, the row stays for the audit trail).
 * Every change is audited. What the gateway reads at call time (a provider with its key in
 * clear, and the audit of its uses) is in providerUse.ts.
 */
import type { PrismaClient } from '../../db/prisma.js';
import type { Provider, ProviderSecret } from '../../generated/prisma/client.js';
import { AppError } from '../../utils/AppError.js';
import { privateDestination } from '../../utils/ssrf.js';
import { type AuditContext, recordAudit } from '../ops/auditService.js';
import { sealProviderKey } from './providerKeys.js';

export type ProviderKind = 'openai' | 'azure' | 'compatible';

/** What every view of a provider shows: its settings and the active key version. */
export interface ProviderSettings {
  id: string;
  name: string;
  kind: ProviderKind;
  baseUrl: string | null;
  apiVersion: string | null;
  fallbackModels: string[];
  /** the active key version */
  version: number;
}

export function providerSettings(p: Provider): ProviderSettings {
  return {
    id: p.id,
    name: p.name,
    kind: p.kind as ProviderKind,
    baseUrl: p.baseUrl,
    apiVersion: p.apiVersion,
    fallbackModels: p.fallbackModels,
    version: p.activeVersion,
  };
}

export interface PublicProvider extends ProviderSettings {
  /** last 4 characters of the active key */
  keyHint: string;
  versions: { version: number; keyHint: string; createdAt: Date; revokedAt: Date | null; active: boolean }[];
  createdAt: Date;
  updatedAt: Date;
}

type ProviderWithSecrets = Provider & { secrets: ProviderSecret[] };

export function toPublicProvider(p: ProviderWithSecrets): PublicProvider {
  const versions = [...p.secrets].sort((a, b) => a.version - b.version);
  const active = versions.find((s) => s.version === p.activeVersion);
  return {
    ...providerSettings(p),
    keyHint: active?.keyHint ?? '',
    versions: versions.map((s) => ({
      version: s.version,
      keyHint: s.keyHint,
      createdAt: s.createdAt,
      revokedAt: s.revokedAt,
      active: s.version === p.activeVersion,
    })),
    createdAt: p.createdAt,
    updatedAt: p.updatedAt,
  };
}

export interface ProviderStoreDeps {
  prisma: PrismaClient;
  /** Tells every replica's gateway cache that the project's providers changed. */
  invalidate: (projectId: string) => Promise<void>;
  /** Let base URLs resolve to private, loopback or link-local addresses (GATEWAY_ALLOW_PRIVATE_UPSTREAMS). */
  allowPrivateUpstreams: boolean;
}

/** 400 VALIDATION_ERROR when a base URL reaches a private network and that is not allowed. */
export async function checkUpstreamUrl(baseUrl: string | null, allowPrivate: boolean): Promise<void> {
  if (baseUrl === null || allowPrivate) return;
  const reason = await privateDestination(baseUrl);
  if (reason) {
    throw new AppError('VALIDATION_ERROR', `baseUrl is not allowed: ${reason}`, {
      details: [
        {
          path: 'baseUrl',
          message: `${reason} (set GATEWAY_ALLOW_PRIVATE_UPSTREAMS=true for a self-hosted model)`,
          code: 'private_upstream',
        },
      ],
    });
  }
}

const withSecrets = { secrets: true } as const;

async function findProvider(prisma: PrismaClient, projectId: string, providerId: string) {
  const p = await prisma.provider.findFirst({ where: { id: providerId, projectId }, include: withSecrets });
  if (!p) throw AppError.notFound('Provider');
  return p;
}

export async function listProviders({ prisma }: Pick<ProviderStoreDeps, 'prisma'>, projectId: string) {
  const rows = await prisma.provider.findMany({
    where: { projectId },
    include: withSecrets,
    orderBy: { createdAt: 'asc' },
  });
  return rows.map(toPublicProvider);
}

export async function createProvider(
  deps: ProviderStoreDeps,
  params: {
    projectId: string;
    input: {
      name: string;
      kind: ProviderKind;
      baseUrl?: string | null;
      apiVersion?: string | null;
      fallbackModels?: string[];
      apiKey: string;
    };
    audit: AuditContext;
  },
): Promise<PublicProvider> {
  const { projectId, input } = params;
  const baseUrl = input.baseUrl ?? null;
  await checkUpstreamUrl(baseUrl, deps.allowPrivateUpstreams);
  const sealed = sealProviderKey(input.apiKey);
  const created = await deps.prisma.$transaction(async (tx) => {
    const exists = await tx.provider.findUnique({ where: { projectId_name: { projectId, name: input.name } } });
    if (exists) throw new AppError('CONFLICT', `A provider named "${input.name}" already exists`);
    const p = await tx.provider.create({
      data: {
        projectId,
        name: input.name,
        kind: input.kind,
        baseUrl,
        apiVersion: input.apiVersion ?? null,
        fallbackModels: input.fallbackModels ?? [],
        activeVersion: 1,
        secrets: { create: { version: 1, ...sealed } },
      },
      include: withSecrets,
    });
    await recordAudit(tx, params.audit, {
      action: 'provider.create',
      targetType: 'provider',
      targetId: p.id,
      metadata: { projectId, name: p.name, kind: p.kind, version: 1, keyHint: sealed.keyHint, keyId: sealed.keyId },
    });
    return p;
  });
  await deps.invalidate(projectId);
  return toPublicProvider(created);
}

/** A new key version becomes active; the previous one stays usable for rollback until revoked. */
export async function rotateProviderKey(
  deps: ProviderStoreDeps,
  params: { projectId: string; providerId: string; apiKey: string; revokePrevious?: boolean; audit: AuditContext },
): Promise<PublicProvider> {
  const sealed = sealProviderKey(params.apiKey);
  const updated = await deps.prisma.$transaction(async (tx) => {
    // Row lock: two concurrent rotations get consecutive versions.
    await tx.$queryRaw`SELECT id FROM providers WHERE id = ${params.providerId} FOR UPDATE`;
    const p = await tx.provider.findFirst({ where: { id: params.providerId, projectId: params.projectId } });
    if (!p) throw AppError.notFound('Provider');
    const last = await tx.providerSecret.findFirst({
      where: { providerId: p.id },
      orderBy: { version: 'desc' },
      select: { version: true },
    });
    const version = (last?.version ?? 0) + 1;
    await tx.providerSecret.create({ data: { providerId: p.id, version, ...sealed } });
    if (params.revokePrevious) {
      await tx.providerSecret.updateMany({
        where: { providerId: p.id, version: { not: version }, revokedAt: null },
        data: { revokedAt: new Date(), dataKeyEnc: null, ciphertext: null },
      });
    }
    await recordAudit(tx, params.audit, {
      action: 'provider.key.rotate',
      targetType: 'provider',
      targetId: p.id,
      metadata: {
        projectId: p.projectId,
        version,
        previousVersion: p.activeVersion,
        keyHint: sealed.keyHint,
        keyId: sealed.keyId,
        revokedPrevious: params.revokePrevious ?? false,
      },
    });
    return tx.provider.update({ where: { id: p.id }, data: { activeVersion: version }, include: withSecrets });
  });
  await deps.invalidate(params.projectId);
  return toPublicProvider(updated);
}

/** Erases an inactive version's key material (409 for the active version). */
export async function revokeProviderVersion(
  deps: ProviderStoreDeps,
  params: { projectId: string; providerId: string; version: number; audit: AuditContext },
): Promise<PublicProvider> {
  const p = await findProvider(deps.prisma, params.projectId, params.providerId);
  if (p.activeVersion === params.version) {
    throw new AppError('CONFLICT', 'The active key version cannot be revoked; rotate to a new key first');
  }
  const secret = p.secrets.find((s) => s.version === params.version);
  if (!secret) throw AppError.notFound('Provider key version');
  await deps.prisma.$transaction(async (tx) => {
    await tx.providerSecret.update({
      where: { id: secret.id },
      data: { revokedAt: secret.revokedAt ?? new Date(), dataKeyEnc: null, ciphertext: null },
    });
    await recordAudit(tx, params.audit, {
      action: 'provider.key.revoke',
      targetType: 'provider',
      targetId: p.id,
      metadata: { projectId: p.projectId, version: params.version, keyHint: secret.keyHint },
    });
  });
  await deps.invalidate(params.projectId);
  return toPublicProvider(await findProvider(deps.prisma, params.projectId, params.providerId));
}

export async function deleteProvider(
  deps: ProviderStoreDeps,
  params: { projectId: string; providerId: string; audit: AuditContext },
): Promise<void> {
  const p = await findProvider(deps.prisma, params.projectId, params.providerId);
  await deps.prisma.$transaction(async (tx) => {
    await tx.provider.delete({ where: { id: p.id } });
    await recordAudit(tx, params.audit, {
      action: 'provider.delete',
      targetType: 'provider',
      targetId: p.id,
      metadata: { projectId: p.projectId, name: p.name, versions: p.secrets.length },
    });
  });
  await deps.invalidate(params.projectId);
}
