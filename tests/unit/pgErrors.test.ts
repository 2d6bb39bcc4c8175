import { describe, expect, it } from 'vitest';
import { postgresErrorCode } from '../../src/db/pgErrors.js';

describe('postgresErrorCode', () => {
  it('should read the SQLSTATE from each shape an error arrives in', () => {
    // Prisma 7 with a driver adapter (the shape seen in tests/integration/searchIndexUpkeep.test.ts).
    expect(
      postgresErrorCode({
        code: 'P2010',
        clientVersion: '7.10.0',
        meta: { driverAdapterError: { cause: { originalCode: '42501', kind: 'postgres' } } },
      }),
    ).toBe('42501');
    expect(postgresErrorCode({ code: 'P2010', clientVersion: '7.10.0', meta: { code: '42P01' } })).toBe('42P01');
    // node-postgres
    expect(postgresErrorCode({ code: '23505', severity: 'ERROR' })).toBe('23505');
    expect(postgresErrorCode({ code: 'P0001' })).toBe('P0001');
  });

  it('should not mistake other codes for a SQLSTATE', () => {
    expect(postgresErrorCode({ code: 'P2010', clientVersion: '7.10.0', meta: {} })).toBeUndefined();
    expect(postgresErrorCode({ code: 'ECONNREFUSED' })).toBeUndefined();
    expect(postgresErrorCode(new Error('boom'))).toBeUndefined();
    expect(postgresErrorCode(undefined)).toBeUndefined();
    expect(postgresErrorCode('42501')).toBeUndefined();
  });
});
