import pino from 'pino';
import { afterAll, describe, expect, it } from 'vitest';
import { postgresBus, type NotifyBus } from '../../src/db/notifyBus.js';
import { deleteApiKey } from '../../src/services/auth/apiKeyService.js';
import { KeyCache } from '../../src/services/auth/keyCache.js';
import { createProject, registerUser } from '../helpers/factories.js';
import { useTestApp } from '../helpers/testApp.js';

const ctx = useTestApp();
const buses: NotifyBus[] = [];
afterAll(async () => {
  for (const b of buses) await b.close();
});

async function replica() {
  const bus = await postgresBus(ctx.prisma, ctx.databaseUrl, pino({ level: 'silent' }));
  buses.push(bus);
  return new KeyCache(ctx.prisma, bus, { lastUsedFlushMs: 0, ttlMs: 10 * 60_000 });
}

async function until(check: () => Promise<boolean>, timeoutMs: number): Promise<number> {
  const started = Date.now();
  while (!(await check())) {
    if (Date.now() - started > timeoutMs) throw new Error(`not within ${timeoutMs} ms`);
    await new Promise((r) => setTimeout(r, 20));
  }
  return Date.now() - started;
}

describe('API key invalidation across processes (PostgreSQL LISTEN/NOTIFY)', () => {
  it('should refuse a key deleted through one replica on another within a second', async () => {
    const user = await registerUser(ctx.app);
    const project = await createProject(ctx.app, user);
    const [a, b] = [await replica(), await replica()];
    expect(await a.authenticate(project.apiKey)).not.toBeNull();
    expect(await b.authenticate(project.apiKey)).not.toBeNull();

    await deleteApiKey(ctx.prisma, a, project.id, project.apiKeyId, {});
    expect(await a.authenticate(project.apiKey)).toBeNull();
    const ms = await until(async () => (await b.authenticate(project.apiKey)) === null, 1000);
    expect(ms).toBeLessThan(1000);
  });

  it('should refresh a project context changed through another replica', async () => {
    const user = await registerUser(ctx.app);
    const project = await createProject(ctx.app, user);
    const [a, b] = [await replica(), await replica()];
    expect((await b.projectContext(project.id))?.safetyThreshold).toBe(80);
    await ctx.prisma.project.update({ where: { id: project.id }, data: { safetyThreshold: 42 } });
    await a.invalidateProject(project.id);
    await until(async () => (await b.projectContext(project.id))?.safetyThreshold === 42, 1000);
  });
});
