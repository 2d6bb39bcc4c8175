/**
 * The gateway's upstream cache under concurrency (services/gateway/upstreams.ts): calls that miss
 * the same provider at the same moment (its entry expires every 30 s under load) share one
 * lookup, decryption and client, and a lookup that a provider change overtook answers its own
 * callers but neither is cached nor answers the calls that come after the change.
 */
import { describe, expect, it } from 'vitest';
import { localBus } from '../../src/db/notifyBus.js';
import { KeyCache } from '../../src/services/auth/keyCache.js';
import { UpstreamRegistry } from '../../src/services/gateway/upstreams.js';
import { createGatewayProject, registerUser } from '../helpers/factories.js';
import { recording } from '../helpers/prismaCalls.js';
import { useTestApp } from '../helpers/testApp.js';

const ctx = useTestApp({ gateway: { allowPrivateUpstreams: true } });
const GATEWAY_OPTIONS = { allowPrivateUpstreams: true, timeoutMs: 1_000, maxRetries: 0 };

/** A project with a `default` provider, and a fresh registry whose Prisma calls are recorded. */
async function gatewayProject() {
  const owner = await registerUser(ctx.app);
  const project = await createGatewayProject(ctx.app, owner, {
    baseUrl: 'http://127.0.0.1:9/v1',
    apiKey: 'sk-lookups-0001',
  });
  const { client, calls } = recording(ctx.prisma);
  const keyCache = new KeyCache(ctx.prisma, localBus(), { lastUsedFlushMs: 0 });
  return { project, registry: new UpstreamRegistry(client, keyCache, GATEWAY_OPTIONS), calls };
}

describe('the upstream cache under concurrent misses', () => {
  it('should look a provider up once for sixteen calls that miss it at once, and hand them one client', async () => {
    const { project, registry, calls } = await gatewayProject();
    const answers = await Promise.all(Array.from({ length: 16 }, () => registry.resolve(project.id, 'default')));
    expect(answers[0]?.provider.apiKey).toBe('sk-lookups-0001');
    expect(new Set(answers.map((a) => a?.client)).size).toBe(1);
    expect(calls).toEqual(['provider.findUnique']);

    // cached now: no lookup at all
    expect((await registry.resolve(project.id, 'default'))?.client).toBe(answers[0]?.client);
    expect(calls).toHaveLength(1);
  });

  it('should not let a lookup that a provider change overtook answer later calls, nor cache it', async () => {
    const { project, registry, calls } = await gatewayProject();
    // a change to the project's providers is announced while the first lookup is in flight
    const first = registry.resolve(project.id, 'default');
    registry.invalidate(project.id);
    const second = registry.resolve(project.id, 'default');
    const [before, after] = await Promise.all([first, second]);
    // the second call did not share the first lookup: it made its own
    expect(calls).toEqual(['provider.findUnique', 'provider.findUnique']);
    expect(after?.client).not.toBe(before?.client);
    // only the lookup that began after the change was cached
    expect((await registry.resolve(project.id, 'default'))?.client).toBe(after?.client);
    expect(calls).toHaveLength(2);
  });
});
