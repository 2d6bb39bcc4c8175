import { PrismaPg } from '@prisma/adapter-pg';
import type pg from 'pg';
import { PrismaClient } from '../generated/prisma/client.js';
import type { DatabaseHealth } from './databaseHealth.js';
import { resilientPool } from './resilientPool.js';

export type { PrismaClient } from '../generated/prisma/client.js';

/** The client handed to an interactive `$transaction` callback. */
export type TxClient = Parameters<Parameters<PrismaClient['$transaction']>[0]>[0];

const pools = new WeakMap<PrismaClient, pg.Pool>();

export interface PrismaOptions {
  /** Shared database health: while it says down, queries fail at once with 503. */
  health?: DatabaseHealth;
  connectTimeoutMs?: number;
  statementTimeoutMs?: number;
  /** Connections kept open when idle (see resilientPool). */
  keepOpen?: number;
}

/**
 * A Prisma client on the pg driver adapter (no native query engine), over a pg pool this
 * module owns so its use can be observed (see poolOf) and it is closed with the client. The
 * pool has connect and statement time-outs (see resilientPool).
 */
export function createPrisma(connectionString: string, max = 10, options: PrismaOptions = {}): PrismaClient {
  const pool = resilientPool({ connectionString, max, ...options });
  const prisma = new PrismaClient({ adapter: new PrismaPg(pool, { disposeExternalPool: true }) });
  pools.set(prisma, pool);
  return prisma;
}

/** The pg pool under a client made by createPrisma (for pool-use metrics). */
export function poolOf(prisma: PrismaClient): pg.Pool | undefined {
  return pools.get(prisma);
}
