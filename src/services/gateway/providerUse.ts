/**
 * A provider as the gateway uses it at call time: its settings with the active key opened
 * (`loadProvider`), and the audit of its uses (`providerUseAuditor`: at most one row per key
 * version per minute per process). The store that changes providers is providerStore.ts.
 */
import type { PrismaClient } from '../../db/prisma.js';
import { recordAudit } from '../ops/auditService.js';
import { openProviderKey } from './providerKeys.js';
import { providerSettings, type ProviderSettings } from './providerStore.js';

/** What the gateway needs to call a provider: its settings and the active key in clear. */
export interface ResolvedProvider extends ProviderSettings {
  projectId: string;
  apiKey: string;
}

/** The project's provider by name with its active key, or null. */
export async function loadProvider(
  prisma: PrismaClient,
  projectId: string,
  name: string,
): Promise<ResolvedProvider | null> {
  const p = await prisma.provider.findUnique({
    where: { projectId_name: { projectId, name } },
    include: { secrets: { where: { revokedAt: null } } },
  });
  const secret = p?.secrets.find((s) => s.version === p.activeVersion);
  if (!p || !secret) return null;
  return {
    ...providerSettings(p),
    projectId: p.projectId,
    apiKey: openProviderKey(secret),
  };
}

/**
 * Audits uses of provider keys without a row per call: the first use of a key version in a
 * minute writes `provider.key.used`, later uses in that minute are counted into the next row.
 */
export function providerUseAuditor(prisma: PrismaClient, windowMs = 60_000) {
  const windows = new Map<string, { until: number; count: number }>();
  return (provider: Pick<ResolvedProvider, 'id' | 'projectId' | 'version'>, apiKeyId: string): void => {
    const now = Date.now();
    const key = `${provider.id}:${provider.version}`;
    const w = windows.get(key);
    if (w && w.until > now) {
      w.count++;
      return;
    }
    const uses = (w?.count ?? 0) + 1;
    windows.set(key, { until: now + windowMs, count: 0 });
    if (windows.size > 10_000) windows.clear();
    void recordAudit(
      prisma,
      { actorId: null },
      {
        action: 'provider.key.used',
        targetType: 'provider',
        targetId: provider.id,
        metadata: { projectId: provider.projectId, version: provider.version, apiKeyId, usesSincePrevious: uses },
      },
    ).catch(() => undefined);
  };
}
