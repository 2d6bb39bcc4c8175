import { describe, expect, it } from 'vitest';
import { createPrisma } from '../../src/db/prisma.js';
import { freePort } from '../../src/db/localPorts.js';
import { isDatabaseUnavailable } from '../../src/db/databaseHealth.js';
import { toAppError } from '../../src/services/appErrors.js';

describe('database outages', () => {
  it('should turn an unreachable database into 503 DATABASE_UNAVAILABLE with Retry-After', async () => {
    const prisma = createPrisma(`postgresql://x:y@127.0.0.1:${await freePort()}/none`, 1);
    const err = await prisma.user.findFirst().catch((e: unknown) => e);
    const raw = await prisma.$queryRawUnsafe('SELECT 1').catch((e: unknown) => e);
    await prisma.$disconnect();
    for (const e of [err, raw]) {
      expect(isDatabaseUnavailable(e)).toBe(true);
      const appError = toAppError(e);
      expect(appError.status).toBe(503);
      expect(appError.headers?.['Retry-After']).toBe('5');
    }
  });

  it('should recognise PostgreSQL connection and shutdown codes', () => {
    expect(isDatabaseUnavailable({ code: '57P01' })).toBe(true);
    expect(isDatabaseUnavailable({ code: '08006' })).toBe(true);
    expect(isDatabaseUnavailable({ code: '23505' })).toBe(false);
    expect(isDatabaseUnavailable(new Error('boom'))).toBe(false);
  });
});
