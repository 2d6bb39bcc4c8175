import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import { toAppError } from '../../src/services/appErrors.js';
import { AppError, ERROR_STATUS } from '../../src/utils/AppError.js';

describe('toAppError', () => {
  it('should keep an AppError as it is', () => {
    const err = new AppError('CONFLICT', 'taken');
    expect(toAppError(err)).toBe(err);
  });

  it('should turn a ZodError into VALIDATION_ERROR with field details', () => {
    const result = z.object({ email: z.email() }).safeParse({ email: 'nope' });
    const err = toAppError(result.error);
    expect(err.code).toBe('VALIDATION_ERROR');
    expect(err.status).toBe(400);
    expect(err.details).toEqual([expect.objectContaining({ path: 'email' })]);
  });

  it('should turn an unknown error into a generic 500 without its message', () => {
    const err = toAppError(new Error('connection string postgres://secret@db'));
    expect(err.code).toBe('INTERNAL_ERROR');
    expect(err.message).toBe('Internal server error');
  });

  it('should map body-parser errors to JSON error codes', () => {
    expect(toAppError({ type: 'entity.parse.failed', status: 400 }).code).toBe('INVALID_JSON');
    expect(toAppError({ type: 'entity.too.large', status: 413 }).code).toBe('PAYLOAD_TOO_LARGE');
  });

  it('should give every code a 4xx or 5xx status', () => {
    for (const status of Object.values(ERROR_STATUS)) expect(status).toBeGreaterThanOrEqual(400);
  });
});
