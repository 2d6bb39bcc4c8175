import { z } from 'zod';
import { isoDate } from './common.js';
import { DAY_MS } from '../utils/time.js';

export const alertTestBody = z.strictObject({
  projectId: z.string().min(1).max(64).describe('The project whose alert webhook gets the test alert.'),
});

/** Sign-up period of the funnel; default the last 30 days. */
export const onboardingFunnelQuery = z
  .object({
    from: isoDate.optional().describe('Start of the sign-up period (default: 30 days before `to`).'),
    to: isoDate.optional().describe('End of the sign-up period (default: now).'),
  })
  .transform((v) => {
    const to = v.to ?? new Date();
    return { from: v.from ?? new Date(to.getTime() - 30 * DAY_MS), to };
  })
  .refine((v) => v.from < v.to, { message: 'from must be before to', path: ['from'] });
