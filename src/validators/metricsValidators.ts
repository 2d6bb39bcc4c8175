import { z } from 'zod';
import type { SeriesGranularity } from '../domain/metrics/histogram.js';
import { DAY_MS, HOUR_MS } from '../utils/time.js';

export type Granularity = SeriesGranularity;

const STEP_MS: Record<Granularity, number> = { hour: HOUR_MS, day: DAY_MS };

/** Longest range per granularity: a month of hours (744 points), a leap year of days. */
export const MAX_RANGE_DAYS: Record<Granularity, number> = { hour: 31, day: 366 };
/** Without `granularity`, ranges up to this long are hourly, longer ones daily. */
export const AUTO_HOURLY_MAX_DAYS = 7;

/**
 * A resolved range: whole UTC hours or days, `from` inclusive and `to` exclusive. Every bucket
 * that overlaps the requested [from, to) is reported whole, since rollups are per hour.
 */
export interface MetricsRange {
  from: Date;
  to: Date;
  granularity: Granularity;
}

export interface RangeInput {
  from?: Date;
  to?: Date;
  granularity?: Granularity;
}

export type RangeResult =
  { ok: true; range: MetricsRange } | { ok: false; issues: { path: 'from' | 'to' | 'granularity'; message: string }[] };

const floorTo = (ms: number, step: number) => Math.floor(ms / step) * step;
const ceilTo = (ms: number, step: number) => Math.ceil(ms / step) * step;

/**
 * Defaults (`to` = now, `from` = `to` minus `defaultDays`), checks (from before to, at most
 * MAX_RANGE_DAYS for the granularity) and alignment to whole buckets. Pure.
 */
export function resolveRange(
  input: RangeInput,
  now: Date,
  options: { defaultDays: number; granularity?: Granularity },
): RangeResult {
  const to = input.to ?? now;
  const from = input.from ?? new Date(to.getTime() - options.defaultDays * DAY_MS);
  const span = to.getTime() - from.getTime();
  if (span <= 0) {
    const message = input.from && input.to ? 'from must be before to' : 'from must be before to (default: now)';
    return { ok: false, issues: [{ path: 'from', message }] };
  }
  const granularity =
    options.granularity ?? input.granularity ?? (span <= AUTO_HOURLY_MAX_DAYS * DAY_MS ? 'hour' : 'day');
  const maxDays = MAX_RANGE_DAYS[granularity];
  if (span > maxDays * DAY_MS) {
    const hint = granularity === 'hour' ? '; use granularity=day for longer ranges' : '';
    return {
      ok: false,
      issues: [{ path: 'to', message: `range is longer than ${maxDays} days for granularity=${granularity}${hint}` }],
    };
  }
  const step = STEP_MS[granularity];
  return {
    ok: true,
    range: {
      from: new Date(floorTo(from.getTime(), step)),
      to: new Date(ceilTo(to.getTime(), step)),
      granularity,
    },
  };
}

const DATE_ONLY = /^\d{4}-\d{2}-\d{2}$/;
const dateTime = z.iso.datetime({ offset: true });

/** An ISO-8601 date-time with offset, or a plain date (UTC midnight). */
const instant = z.string().transform((value, ctx) => {
  const text = value.trim();
  const date = DATE_ONLY.test(text)
    ? new Date(`${text}T00:00:00Z`)
    : dateTime.safeParse(text).success
      ? new Date(text)
      : null;
  if (!date || Number.isNaN(date.getTime())) {
    ctx.addIssue({ code: 'custom', message: 'expected an ISO-8601 date or date-time, e.g. 2025-01-31T12:00:00Z' });
    return z.NEVER;
  }
  return date;
});
z.globalRegistry.add(instant, { description: 'ISO-8601 date (UTC midnight) or date-time, e.g. 2025-01-31T12:00:00Z' });

const projectId = z.string().min(1).max(64).describe('The project (one you own; an admin may name any).');
const topLimit = z.coerce.number().int().min(1).max(100).default(10);

function withRange<T extends RangeInput>(defaultDays: number, granularity?: Granularity) {
  return (value: T, ctx: z.RefinementCtx) => {
    const result = resolveRange(value, new Date(), { defaultDays, granularity });
    if (!result.ok) {
      for (const issue of result.issues) ctx.addIssue({ code: 'custom', path: [issue.path], message: issue.message });
      return z.NEVER;
    }
    return { ...value, ...result.range };
  };
}

/** GET /metrics: the dashboard's first screen. */
export const metricsQuery = z
  .object({
    projectId,
    from: instant.optional(),
    to: instant.optional(),
    granularity: z
      .enum(['hour', 'day'])
      .optional()
      .describe(
        `Width of each point of \`series\` (default: hourly up to ${AUTO_HOURLY_MAX_DAYS} days, daily beyond).`,
      ),
    /** `configVersion`: adds byConfigVersion (and, while an A/B split runs, the arms' comparison) */
    groupBy: z
      .enum(['configVersion'])
      .optional()
      .describe("`configVersion`: adds byConfigVersion (and, while an A/B split runs, the arms' comparison)."),
  })
  .transform(withRange(7));

/** GET /metrics/usage: daily, default the last 30 days. */
export const usageQuery = z
  .object({
    projectId,
    from: instant.optional(),
    to: instant.optional(),
    limit: topLimit.describe('How many top end users and top endpoints to list (default 10).'),
  })
  .transform(withRange(30, 'day'));

/** GET /admin/usage: across all projects, daily, default the last 30 days. */
export const adminUsageQuery = z
  .object({
    from: instant.optional(),
    to: instant.optional(),
    limit: topLimit.describe('How many top projects and top owners to list (default 10).'),
  })
  .transform(withRange(30, 'day'));

export type MetricsQuery = z.infer<typeof metricsQuery>;
export type UsageQuery = z.infer<typeof usageQuery>;
export type AdminUsageQuery = z.infer<typeof adminUsageQuery>;
