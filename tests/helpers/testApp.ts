/**
 * `const ctx = useTestApp()` in a test file: a clean, migrated database of its own, a Prisma
 * client on it and the real app from createApp(), torn down after the file.
 */
import type { Express } from 'express';
import { afterAll, beforeAll } from 'vitest';
import { createApp, type AppDeps } from '../../src/app.js';
import { expectedMigrations } from '../../src/db/database.js';
import { localBus } from '../../src/db/notifyBus.js';
import { createPrisma, type PrismaClient } from '../../src/db/prisma.js';
import { KeyCache } from '../../src/services/auth/keyCache.js';
import { createDatabase } from './testDb.js';

export interface TestContext {
  app: Express;
  prisma: PrismaClient;
  databaseUrl: string;
  /** the app's cache of API keys and project contexts */
  keyCache: KeyCache;
}

export function useTestApp(overrides: Partial<AppDeps> = {}): TestContext {
  const ctx = {} as TestContext;
  let drop: (() => Promise<void>) | undefined;
  beforeAll(async () => {
    const db = await createDatabase();
    drop = db.drop;
    ctx.databaseUrl = db.url;
    ctx.prisma = createPrisma(db.url, 5);
    ctx.keyCache = overrides.keyCache ?? new KeyCache(ctx.prisma, localBus(), { lastUsedFlushMs: 0 });
    ctx.app = createApp({
      prisma: ctx.prisma,
      expectedMigrations: await expectedMigrations(),
      ...overrides,
      keyCache: ctx.keyCache,
    });
  });
  afterAll(async () => {
    await ctx.prisma?.$disconnect();
    await drop?.();
  });
  return ctx;
}
