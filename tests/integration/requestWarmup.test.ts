/**
 * The warm-up before the server listens (services/requestWarmup.ts), on a real database: each
 * part runs the same lookups its request path runs on a cold cache (recorded through a proxy
 * around Prisma's model delegates), for ids that match nothing, and caches nothing; the
 * writer's connections are opened as backends of their own, run the batch's warm-up statements
 * without writing a row, and stay open past pg's idle time-out when the pool keeps them.
 */
import { describe, expect, it, vi } from 'vitest';
import { localBus } from '../../src/db/notifyBus.js';
import { EMBEDDED_PG_MALLOC_TUNABLES } from '../../src/db/embeddedPostgres.js';
import { resilientPool } from '../../src/db/resilientPool.js';
import { PLANS } from '../../src/config/plans.js';
import { digestApiKey } from '../../src/services/auth/apiKeyDigest.js';
import { KeyCache } from '../../src/services/auth/keyCache.js';
import { QuotaService } from '../../src/services/billing/quotaService.js';
import { UpstreamRegistry } from '../../src/services/gateway/upstreams.js';
import { BATCH_WARMUP_SQL } from '../../src/services/ingest/ingestBatch.js';
import {
  NO_SUCH_ID,
  connectionWarmer,
  wantsHeapWarmup,
  warmUpRequestQueries,
  type QueryWarmable,
} from '../../src/services/requestWarmup.js';
import { seedTenant } from '../helpers/factories.js';
import { recording } from '../helpers/prismaCalls.js';
import { useTestApp } from '../helpers/testApp.js';

const ctx = useTestApp();

const PLAN_CONFIG = { plans: PLANS, pastDueGraceDays: 7, selfHosted: null };
const GATEWAY_OPTIONS = { allowPrivateUpstreams: true, timeoutMs: 1_000, maxRetries: 0 };

describe('the request paths warmed before listening', () => {
  it('should run the very lookups a cold key cache makes for a call, and cache nothing', async () => {
    const tenant = await seedTenant(ctx);
    const onRequest = recording(ctx.prisma);
    const cold = new KeyCache(onRequest.client, localBus(), { lastUsedFlushMs: 0 });
    expect(await cold.authenticate(tenant.project.apiKey)).not.toBeNull();

    const onWarmUp = recording(ctx.prisma);
    const warmed = new KeyCache(onWarmUp.client, localBus(), { lastUsedFlushMs: 0 });
    await warmed.warmUpQueries();
    expect(onWarmUp.calls).toEqual(onRequest.calls);
    expect(onWarmUp.calls).toEqual(['apiKey.findUnique', 'project.findUnique']);

    // Nothing was remembered: a key that is created afterwards under the warm-up's own id works.
    await ctx.prisma.apiKey.create({
      data: { projectId: tenant.project.id, name: 'late', keyHash: digestApiKey(NO_SUCH_ID), prefix: 'lgk_warm' },
    });
    expect((await warmed.authenticate(NO_SUCH_ID))?.project.projectId).toBe(tenant.project.id);
  });

  it("should run the plan lookup of the quota and the gateway's provider lookup as their calls do", async () => {
    const tenant = await seedTenant(ctx);
    const quotaCall = recording(ctx.prisma);
    await new QuotaService(quotaCall.client, PLAN_CONFIG).state(tenant.user.id);
    const quotaWarm = recording(ctx.prisma);
    await new QuotaService(quotaWarm.client, PLAN_CONFIG).warmUpQueries();
    expect(quotaWarm.calls).toEqual(quotaCall.calls);
    expect(quotaWarm.calls).toEqual(['subscription.findUnique']);

    const keyCache = new KeyCache(ctx.prisma, localBus(), { lastUsedFlushMs: 0 });
    const gatewayCall = recording(ctx.prisma);
    expect(
      await new UpstreamRegistry(gatewayCall.client, keyCache, GATEWAY_OPTIONS).resolve(tenant.project.id, 'default'),
    ).toBeNull();
    const gatewayWarm = recording(ctx.prisma);
    await new UpstreamRegistry(gatewayWarm.client, keyCache, GATEWAY_OPTIONS).warmUpQueries();
    expect(gatewayWarm.calls).toEqual(gatewayCall.calls);
    expect(gatewayWarm.calls).toEqual(['provider.findUnique']);
  });

  it("should open the writer's connections as backends of their own and load a batch's needs without writing a row", async () => {
    const pool = resilientPool({ connectionString: ctx.databaseUrl, max: 2, keepOpen: 2 });
    try {
      const before = await ctx.prisma.$queryRaw<{ rows: bigint; counters: bigint }[]>`
        SELECT (SELECT count(*) FROM llm_requests) AS rows, (SELECT count(*) FROM usage_counters) AS counters`;
      const pids = vi.fn();
      pool.on(
        'connect',
        (client) => void client.query('SELECT pg_backend_pid() AS pid').then((r) => pids(r.rows[0].pid)),
      );
      await connectionWarmer(pool, 2, BATCH_WARMUP_SQL).warmUpQueries();
      expect(pool.totalCount).toBe(2);
      expect(pool.idleCount).toBe(2);
      await vi.waitFor(() => expect(pids).toHaveBeenCalledTimes(2));
      expect(new Set(pids.mock.calls.map(([pid]) => pid)).size).toBe(2);
      const after = await ctx.prisma.$queryRaw<{ rows: bigint; counters: bigint }[]>`
        SELECT (SELECT count(*) FROM llm_requests) AS rows, (SELECT count(*) FROM usage_counters) AS counters`;
      expect(after).toEqual(before);
    } finally {
      await pool.end();
    }
  });

  it('should keep `keepOpen` connections open past the idle time-out, and close the others', async () => {
    const kept = resilientPool({
      connectionString: ctx.databaseUrl,
      max: 3,
      keepOpen: 2,
      extra: { idleTimeoutMillis: 200 },
    });
    const plain = resilientPool({ connectionString: ctx.databaseUrl, max: 3, extra: { idleTimeoutMillis: 200 } });
    try {
      // Each count read right after its own warm-up: opening the other pool's connections can
      // take longer than an idle time-out on a loaded machine.
      await connectionWarmer(kept, 3, ['SELECT 1']).warmUpQueries();
      expect(kept.totalCount).toBe(3);
      await connectionWarmer(plain, 3, ['SELECT 1']).warmUpQueries();
      expect(plain.totalCount).toBe(3);
      await new Promise((r) => setTimeout(r, 1000));
      expect([kept.totalCount, plain.totalCount]).toEqual([2, 0]);
    } finally {
      await Promise.all([kept.end(), plain.end()]);
    }
  });

  it('should release what it opened and resolve with a warning when a part fails', async () => {
    const pool = resilientPool({ connectionString: ctx.databaseUrl, max: 2 });
    const warn = vi.fn();
    const after = { warmUpQueries: vi.fn(async () => undefined) };
    try {
      const broken = connectionWarmer(pool, 2, ['SELECT * FROM no_such_table']);
      const ms = await warmUpRequestQueries([broken, after as QueryWarmable], { warn });
      expect(ms).toBeGreaterThanOrEqual(0);
      expect(warn).toHaveBeenCalledTimes(1);
      expect(warn.mock.calls[0]![1]).toBe('request query warm-up failed');
      expect(pool.idleCount).toBe(pool.totalCount); // both clients were released
      expect(after.warmUpQueries).not.toHaveBeenCalled(); // the rest is left to the first requests
    } finally {
      await pool.end();
    }
  });

  it('should run every part once per round', async () => {
    const part = { warmUpQueries: vi.fn(async () => undefined) };
    await warmUpRequestQueries([part, part], { warn: vi.fn() }, 3);
    expect(part.warmUpQueries).toHaveBeenCalledTimes(6);
  });
});

describe('the heap warm-up of the next ingest connection (DATABASE_HEAP_WARMUP)', () => {
  it('should run on the embedded server unless its allocator settings were replaced, elsewhere only when asked', () => {
    const saved = process.env.GLIBC_TUNABLES;
    try {
      delete process.env.GLIBC_TUNABLES;
      expect(wantsHeapWarmup('auto', true)).toBe(true);
      expect(wantsHeapWarmup('auto', false)).toBe(false);
      expect(wantsHeapWarmup('true', false)).toBe(true);
      expect(wantsHeapWarmup('false', true)).toBe(false);
      // an operator's own settings (an empty value: glibc's defaults, which hand the heap back)
      process.env.GLIBC_TUNABLES = '';
      expect(wantsHeapWarmup('auto', true)).toBe(false);
      process.env.GLIBC_TUNABLES = EMBEDDED_PG_MALLOC_TUNABLES;
      expect(wantsHeapWarmup('auto', true)).toBe(true);
    } finally {
      if (saved === undefined) delete process.env.GLIBC_TUNABLES;
      else process.env.GLIBC_TUNABLES = saved;
    }
  });
});
