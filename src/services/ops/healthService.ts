import type { DatabaseHealth } from '../../db/databaseHealth.js';
import type { PrismaClient } from '../../db/prisma.js';

export interface Readiness {
  ready: boolean;
  checks: { database: 'ok' | 'down'; migrations: 'ok' | 'pending' | 'unknown' };
}

/** Database reachable, and every migration this build ships recorded as applied. */
export async function checkReadiness(
  prisma: PrismaClient,
  expected: string[],
  health?: DatabaseHealth,
): Promise<Readiness> {
  // Known down: answer at once (a load balancer's probe must not wait on a dead database).
  if (health && !health.available) return { ready: false, checks: { database: 'down', migrations: 'unknown' } };
  try {
    const rows = await prisma.$queryRawUnsafe<{ migration_name: string }[]>(
      'SELECT migration_name FROM _prisma_migrations WHERE finished_at IS NOT NULL AND rolled_back_at IS NULL',
    );
    const applied = new Set(rows.map((r) => r.migration_name));
    const migrations = expected.every((m) => applied.has(m)) ? 'ok' : 'pending';
    return { ready: migrations === 'ok', checks: { database: 'ok', migrations } };
  } catch (err) {
    // 42P01: no _prisma_migrations table yet, so the database is up but not migrated.
    const code = (err as { meta?: { code?: string }; code?: string })?.meta?.code;
    if (code === '42P01' || /_prisma_migrations/.test(String(err))) {
      const up = await prisma.$queryRawUnsafe('SELECT 1').then(
        () => true,
        () => false,
      );
      if (up) return { ready: false, checks: { database: 'ok', migrations: 'pending' } };
    }
    return { ready: false, checks: { database: 'down', migrations: 'unknown' } };
  }
}
