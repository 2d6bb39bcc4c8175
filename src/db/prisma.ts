import { PrismaPg } from '@prisma/adapter-pg';
import pg from 'pg';
import { PrismaClient } from '../generated/prisma/client.js';

export type { PrismaClient } from '../generated/prisma/client.js';

const pools = new WeakMap<PrismaClient, pg.Pool>();

/**
 * A Prisma client on the pg driver adapter (no native query engine), over a pg pool this
 * module owns so its use can be observed (see poolOf) and it is closed with the client.
 */
export function createPrisma(connectionString: string, max = 10): PrismaClient {
  const pool = new pg.Pool({ connectionString, max, connectionTimeoutMillis: 5_000 });
  // An idle connection dropped by the server (restart, failover) must not crash the process.
  pool.on('error', () => undefined);
  const prisma = new PrismaClient({ adapter: new PrismaPg(pool, { disposeExternalPool: true }) });
  pools.set(prisma, pool);
  return prisma;
}

/** The pg pool under a client made by createPrisma (for pool-use metrics). */
export function poolOf(prisma: PrismaClient): pg.Pool | undefined {
  return pools.get(prisma);
}
