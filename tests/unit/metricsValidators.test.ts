import { describe, expect, it } from 'vitest';
import { metricsQuery, resolveRange, usageQuery } from '../../src/validators/metricsValidators.js';

const NOW = new Date('2025-03-10T15:42:10.123Z');
const d = (iso: string) => new Date(iso);
const resolve = (input: Parameters<typeof resolveRange>[0]) => resolveRange(input, NOW, { defaultDays: 7 });

describe('resolveRange', () => {
  it('should default to the last 7 days, hourly, in whole hours including the current one', () => {
    expect(resolve({})).toEqual({
      ok: true,
      range: { from: d('2025-03-03T15:00:00.000Z'), to: d('2025-03-10T16:00:00.000Z'), granularity: 'hour' },
    });
  });

  it('should choose days for ranges longer than 7 days when no granularity is given', () => {
    const r = resolve({ from: d('2025-02-01T00:00:00Z') });
    expect(r).toMatchObject({ ok: true, range: { granularity: 'day', to: d('2025-03-11T00:00:00Z') } });
  });

  it('should default from to 7 days before an explicit to', () => {
    const r = resolve({ to: d('2025-01-08T00:00:00Z'), granularity: 'day' });
    expect(r).toEqual({
      ok: true,
      range: { from: d('2025-01-01T00:00:00Z'), to: d('2025-01-08T00:00:00Z'), granularity: 'day' },
    });
  });

  it('should widen an unaligned range to whole buckets and keep an aligned one', () => {
    expect(
      resolve({ from: d('2025-03-10T10:30:00Z'), to: d('2025-03-10T12:00:00Z'), granularity: 'hour' }),
    ).toMatchObject({ range: { from: d('2025-03-10T10:00:00Z'), to: d('2025-03-10T12:00:00Z') } });
    expect(
      resolve({ from: d('2025-03-10T10:30:00Z'), to: d('2025-03-10T12:00:00.001Z'), granularity: 'day' }),
    ).toMatchObject({ range: { from: d('2025-03-10T00:00:00Z'), to: d('2025-03-11T00:00:00Z') } });
  });

  it('should refuse from at or after to', () => {
    expect(resolve({ from: d('2025-03-10T00:00:00Z'), to: d('2025-03-10T00:00:00Z') })).toMatchObject({
      ok: false,
      issues: [{ path: 'from' }],
    });
    expect(resolve({ from: d('2025-03-11T00:00:00Z') })).toMatchObject({ ok: false });
  });

  it('should allow exactly the maximum range and refuse a millisecond more', () => {
    const from = d('2025-01-01T00:00:00Z');
    expect(resolve({ from, to: d('2025-02-01T00:00:00Z'), granularity: 'hour' }).ok).toBe(true);
    expect(resolve({ from, to: d('2025-02-01T00:00:00.001Z'), granularity: 'hour' })).toMatchObject({
      ok: false,
      issues: [{ path: 'to', message: expect.stringContaining('granularity=day') }],
    });
    expect(resolve({ from, to: d('2026-01-02T00:00:00Z'), granularity: 'day' }).ok).toBe(true);
    expect(resolve({ from, to: d('2026-01-02T00:00:00.001Z'), granularity: 'day' }).ok).toBe(false);
  });
});

describe('metricsQuery', () => {
  it('should accept plain dates as UTC midnight', () => {
    const q = metricsQuery.parse({ projectId: 'p', from: '2025-03-01', to: '2025-03-03', granularity: 'day' });
    expect(q).toMatchObject({ projectId: 'p', from: d('2025-03-01T00:00:00Z'), to: d('2025-03-03T00:00:00Z') });
  });

  it('should accept offsets and convert them to UTC', () => {
    const q = metricsQuery.parse({ projectId: 'p', from: '2025-03-01T02:00:00+02:00', to: '2025-03-01T03:00:00Z' });
    expect(q.from).toEqual(d('2025-03-01T00:00:00Z'));
  });

  it('should report a bad range as an issue on the field', () => {
    const r = metricsQuery.safeParse({ projectId: 'p', from: '2025-03-03', to: '2025-03-01' });
    expect(r.success).toBe(false);
    expect(r.error?.issues.map((i) => i.path.join('.'))).toEqual(['from']);
  });
});

describe('usageQuery', () => {
  it('should be daily with a 30-day default and a top-10 default', () => {
    const q = usageQuery.parse({ projectId: 'p' });
    expect(q.granularity).toBe('day');
    expect(q.limit).toBe(10);
    expect((q.to.getTime() - q.from.getTime()) / 86_400_000).toBeGreaterThanOrEqual(30);
  });
});
