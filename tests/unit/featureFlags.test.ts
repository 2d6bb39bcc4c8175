/**
 * FeatureFlags over a stub table: evaluation through the OpenFeature client and our provider,
 * the in-memory snapshot and its invalidation, and the default when the table cannot be read.
 */
import { OpenFeature } from '@openfeature/server-sdk';
import type { Logger } from 'pino';
import { describe, expect, it, vi } from 'vitest';
import { localBus } from '../../src/db/notifyBus.js';
import type { PrismaClient } from '../../src/db/prisma.js';
import type { FeatureFlag } from '../../src/generated/prisma/client.js';
import { FeatureFlags } from '../../src/services/flags/featureFlags.js';
import { PROVIDER_NAME } from '../../src/services/flags/flagProvider.js';

const row = (over: Partial<FeatureFlag>): FeatureFlag => ({
  key: 'f',
  description: null,
  enabled: true,
  rolloutPercent: 100,
  allowUsers: [],
  denyUsers: [],
  allowProjects: [],
  denyProjects: [],
  variants: [],
  archivedAt: null,
  createdById: null,
  createdAt: new Date(),
  updatedAt: new Date(),
  ...over,
});

function stubTable(rows: FeatureFlag[]) {
  const findMany = vi.fn(async () => rows.map((r) => ({ ...r })));
  return { prisma: { featureFlag: { findMany } } as unknown as PrismaClient, findMany, rows };
}

const silent = () => ({ warn: vi.fn() }) as unknown as Logger & { warn: ReturnType<typeof vi.fn> };

describe('FeatureFlags', () => {
  it('should evaluate through an OpenFeature client bound to our provider', async () => {
    const { prisma } = stubTable([
      row({ key: 'exp', variants: [{ name: 'blue', weight: 1, value: { color: 'blue' } }] as never }),
    ]);
    const flags = new FeatureFlags(prisma, localBus(), { logger: silent() });
    const domain = (flags as unknown as { domain: string }).domain;
    expect(OpenFeature.getProviderMetadata(domain).name).toBe(PROVIDER_NAME);
    const client = OpenFeature.getClient(domain);
    const ctx = { targetingKey: 'u1' };
    expect(await client.getBooleanDetails('exp', false, ctx)).toMatchObject({
      value: true,
      variant: 'blue',
      reason: 'SPLIT',
    });
    expect(await client.getStringValue('exp', 'none', ctx)).toBe('blue');
    expect(await client.getObjectValue('exp', {}, ctx)).toEqual({ color: 'blue' });
    expect(await client.getBooleanDetails('missing', true, ctx)).toMatchObject({
      value: true,
      errorCode: 'FLAG_NOT_FOUND',
    });
    await flags.close();
  });

  it('should answer every check from one read of the table until a flag changes', async () => {
    const { prisma, findMany, rows } = stubTable([row({ key: 'a' }), row({ key: 'b', enabled: false })]);
    const flags = new FeatureFlags(prisma, localBus(), { logger: silent() });
    for (let i = 0; i < 50; i++) {
      expect(await flags.isEnabled('a', { userId: `u${i}` }, false)).toBe(true);
      expect(await flags.isEnabled('b', { userId: `u${i}` }, true)).toBe(false);
    }
    expect(findMany).toHaveBeenCalledTimes(1);

    rows[0]!.enabled = false;
    expect(await flags.isEnabled('a', { userId: 'u1' }, true)).toBe(true); // still the snapshot
    await flags.invalidate('a');
    expect(await flags.isEnabled('a', { userId: 'u1' }, true)).toBe(false);
    expect(findMany).toHaveBeenCalledTimes(2);
    await flags.close();
  });

  it('should not keep a snapshot whose read started before an invalidation', async () => {
    const { prisma, findMany, rows } = stubTable([row({ key: 'a' })]);
    let release!: () => void;
    findMany.mockImplementationOnce(async () => {
      const before = rows.map((r) => ({ ...r }));
      await new Promise<void>((r) => (release = r));
      return before;
    });
    const flags = new FeatureFlags(prisma, localBus(), { logger: silent() });
    const early = flags.isEnabled('a', {}, false);
    await vi.waitFor(() => expect(release).toBeTypeOf('function'));
    rows[0]!.enabled = false;
    await flags.invalidate('a');
    release();
    expect(await early).toBe(true); // the read that began before the change
    expect(await flags.isEnabled('a', {}, true)).toBe(false); // the next check reads again
    await flags.close();
  });

  it('should answer the default and warn when the table cannot be read', async () => {
    const { prisma, findMany } = stubTable([]);
    findMany.mockRejectedValue(new Error('connection refused'));
    const logger = silent();
    const flags = new FeatureFlags(prisma, localBus(), { logger });
    expect(await flags.isEnabled('config-splits', { userId: 'u1' }, true)).toBe(true);
    expect(await flags.isEnabled('other', { userId: 'u1' }, false)).toBe(false);
    expect(logger.warn).toHaveBeenCalledTimes(2);
    await flags.close();
  });

  it('should list every flag for a subject, archived and disabled ones off', async () => {
    const { prisma } = stubTable([
      row({ key: 'on' }),
      row({ key: 'off', enabled: false }),
      row({ key: 'old', archivedAt: new Date() }),
      row({ key: 'denied', denyProjects: ['p1'] }),
    ]);
    const flags = new FeatureFlags(prisma, localBus(), { logger: silent() });
    expect(await flags.evaluateAll({ userId: 'u1', projectId: 'p1' })).toEqual({
      denied: { enabled: false, variant: null },
      off: { enabled: false, variant: null },
      old: { enabled: false, variant: null },
      on: { enabled: true, variant: null },
    });
    await flags.close();
  });
});
