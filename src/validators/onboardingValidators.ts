import { z } from 'zod';
import { isoDate } from './common.js';
import { DAY_MS } from '../utils/time.js';

export const alertTestBody = z.strictObject({ projectId: z.string().min(1).max(64) });

/** Sign-up period of the funnel; default the last 30 days. */
export const onboardingFunnelQuery = z
  .object({ from: isoDate.optional(), to: isoDate.optional() })
  .transform((v) => {
    const to = v.to ?? new Date();
    return { from: v.from ?? new Date(to.getTime() - 30 * DAY_MS), to };
  })
  .refine((v) => v.from < v.to, { message: 'from must be before to', path: ['from'] });
