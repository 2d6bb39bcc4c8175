import request from 'supertest';
import { afterAll, describe, expect, it } from 'vitest';
import { createApp } from '../../src/app.js';
import { expectedMigrations } from '../../src/db/database.js';
import { freePort } from '../../src/db/localPorts.js';
import { createPrisma, type PrismaClient } from '../../src/db/prisma.js';
import { applyMigrations } from '../../src/db/schemaEngine.js';
import { createDatabase } from '../helpers/testDb.js';

const cleanups: (() => Promise<unknown>)[] = [];
afterAll(async () => {
  for (const c of cleanups.reverse()) await c();
});

async function appOn(url: string) {
  const prisma: PrismaClient = createPrisma(url, 2);
  cleanups.push(() => prisma.$disconnect());
  return createApp({ prisma, expectedMigrations: await expectedMigrations() });
}

describe('readiness and migrations', () => {
  it('should answer /readyz 503 when migrations are not applied', async () => {
    const db = await createDatabase(false);
    cleanups.push(db.drop);
    const res = await request(await appOn(db.url)).get('/readyz');
    expect(res.status).toBe(503);
    expect(res.body.checks).toEqual({ database: 'ok', migrations: 'pending' });
  });

  it('should answer /readyz 503 when the database is unreachable', async () => {
    const port = await freePort();
    const res = await request(await appOn(`postgresql://nobody:x@127.0.0.1:${port}/none`)).get('/readyz');
    expect(res.status).toBe(503);
    expect(res.body.checks.database).toBe('down');
    expect(res.headers['retry-after']).toBe('5');
  });

  it('should apply every migration to an empty database, then do nothing the second time', async () => {
    const db = await createDatabase(false);
    cleanups.push(db.drop);
    const expected = await expectedMigrations();
    expect(await applyMigrations(db.url)).toEqual(expected);
    expect(await applyMigrations(db.url)).toEqual([]);
    const res = await request(await appOn(db.url)).get('/readyz');
    expect(res.status).toBe(200);
  });

  it('should record migrations in _prisma_migrations as Prisma does', async () => {
    const db = await createDatabase(false);
    cleanups.push(db.drop);
    await applyMigrations(db.url);
    const prisma = createPrisma(db.url, 1);
    cleanups.push(() => prisma.$disconnect());
    const rows = await prisma.$queryRawUnsafe<{ migration_name: string; checksum: string; finished_at: Date }[]>(
      'SELECT migration_name, checksum, finished_at FROM _prisma_migrations ORDER BY migration_name',
    );
    expect(rows.map((r) => r.migration_name)).toEqual(await expectedMigrations());
    for (const row of rows) {
      expect(row.checksum).toMatch(/^[0-9a-f]{64}$/);
      expect(row.finished_at).toBeInstanceOf(Date);
    }
  });
});
