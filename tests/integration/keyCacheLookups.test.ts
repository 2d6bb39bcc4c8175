/**
 * The key cache's lookups under concurrency: requests that miss the same key (or project) at the
 * same moment share one lookup instead of each querying (and the pool opening connections for
 * them), and a lookup that raced an invalidation answers its callers but is not cached.
 */
import { describe, expect, it } from 'vitest';
import { localBus } from '../../src/db/notifyBus.js';
import { digestApiKey } from '../../src/services/auth/apiKeyDigest.js';
import { KeyCache } from '../../src/services/auth/keyCache.js';
import { seedTenant } from '../helpers/factories.js';
import { recording } from '../helpers/prismaCalls.js';
import { useTestApp } from '../helpers/testApp.js';

const ctx = useTestApp();

describe('the key cache under concurrent misses', () => {
  it('should look a key and its project up once for sixteen requests that miss at once', async () => {
    const tenant = await seedTenant(ctx);
    const { client, calls } = recording(ctx.prisma);
    const cache = new KeyCache(client, localBus(), { lastUsedFlushMs: 0 });
    const answers = await Promise.all(Array.from({ length: 16 }, () => cache.authenticate(tenant.project.apiKey)));
    expect(answers.map((a) => a?.project.projectId)).toEqual(Array(16).fill(tenant.project.id));
    expect(calls).toEqual(['apiKey.findUnique', 'project.findUnique']);

    // cached now: no lookup at all
    await cache.authenticate(tenant.project.apiKey);
    expect(calls).toHaveLength(2);
  });

  it('should share one lookup for an unknown key too, and remember it', async () => {
    const { client, calls } = recording(ctx.prisma);
    const cache = new KeyCache(client, localBus(), { lastUsedFlushMs: 0 });
    const answers = await Promise.all(Array.from({ length: 8 }, () => cache.authenticate('lgk_no-such-key')));
    expect(answers).toEqual(Array(8).fill(null));
    await cache.authenticate('lgk_no-such-key');
    expect(calls).toEqual(['apiKey.findUnique']);
  });

  it('should keep the digest of keys that exist only, and refuse a kept key once it is revoked', async () => {
    const tenant = await seedTenant(ctx);
    const cache = new KeyCache(ctx.prisma, localBus(), { lastUsedFlushMs: 0 });
    expect(await cache.authenticate(tenant.project.apiKey)).not.toBeNull();
    expect(await cache.authenticate(tenant.project.apiKey)).not.toBeNull();
    for (let i = 0; i < 5; i++) expect(await cache.authenticate(`lgk_made-up-${i}`)).toBeNull();
    expect(cache.heldDigests).toBe(1);

    const digest = digestApiKey(tenant.project.apiKey);
    await ctx.prisma.apiKey.deleteMany({ where: { keyHash: digest } });
    await cache.invalidateKey(digest);
    expect(await cache.authenticate(tenant.project.apiKey)).toBeNull();
  });

  it('should not cache a lookup that an invalidation overtook, and start a fresh one after it', async () => {
    const tenant = await seedTenant(ctx);
    const bus = localBus();
    const { client, calls } = recording(ctx.prisma);
    const cache = new KeyCache(client, bus, { lastUsedFlushMs: 0 });
    const first = cache.projectContext(tenant.project.id);
    // the project changes while the first lookup is in flight
    await ctx.prisma.project.update({ where: { id: tenant.project.id }, data: { safetyThreshold: 42 } });
    await cache.invalidateProject(tenant.project.id);
    const second = await cache.projectContext(tenant.project.id);
    expect(second?.safetyThreshold).toBe(42);
    await first;
    // the first lookup's answer was not stored: the next call is served the fresh one from the cache
    expect((await cache.projectContext(tenant.project.id))?.safetyThreshold).toBe(42);
    expect(calls).toEqual(['project.findUnique', 'project.findUnique']);
  });
});
