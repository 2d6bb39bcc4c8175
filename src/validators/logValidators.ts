import { z } from 'zod';
import { isoDate, pageQuery } from './common.js';
import { Decision, RequestStatus } from '../types/vocabulary.js';

export const logSearchQuery = pageQuery
  .extend({
    projectId: z.string().min(1).max(64).describe('The project whose calls to search.'),
    /**
     * websearch_to_tsquery syntax. A run of dashes nests one NOT per dash and a dash before a
     * space or the end negates nothing; PostgreSQL answers either with "tsquery stack too small"
     * (XX000) past ~30, so runs become one dash and dangling dashes are dropped.
     */
    q: z
      .string()
      .trim()
      .min(1)
      .max(500)
      .transform((q) => q.replace(/(?<!-)-+(?=\s|$)/g, ' ').replace(/-{2,}/g, '-'))
      .optional()
      .describe(
        'Full-text search over prompt, messages and response, stemmed in English and German ' +
          '(`instruction` finds "instructions"). Web-search syntax: "exact phrase", -excluded, a OR b.',
      ),
    model: z.string().trim().min(1).max(200).optional().describe('Only calls reported with this model.'),
    status: z.enum(RequestStatus).optional().describe('Only successful or only failed calls.'),
    decision: z.enum(Decision).optional().describe('Only calls with this decision.'),
    endpoint: z.string().trim().min(1).max(200).optional().describe('Only calls of this endpoint (your label).'),
    userId: z.string().trim().min(1).max(200).optional().describe('Only calls of this end user.'),
    outcome: z
      .enum(['accepted', 'refused'])
      .optional()
      .describe('`refused`: calls a remediation refused (disabled endpoint, rate-limited end user).'),
    flag: z
      .string()
      .trim()
      .min(1)
      .max(100)
      .optional()
      .describe('Only calls carrying this risk flag, e.g. `injection:override` or `pii:email`.'),
    /** calls with at least one negative (thumbs down, 1-2 stars) / positive (thumbs up, 4-5 stars) / any feedback */
    feedback: z
      .enum(['negative', 'positive', 'any'])
      .optional()
      .describe('Only calls with negative (thumbs down, 1-2 stars), positive or any feedback.'),
    minRisk: z.coerce.number().int().min(0).max(100).optional().describe('Only calls with a risk score at least this.'),
    maxRisk: z.coerce.number().int().min(0).max(100).optional().describe('Only calls with a risk score at most this.'),
    from: isoDate.optional().describe('Only calls at or after this time (ISO-8601).'),
    to: isoDate.optional().describe('Only calls at or before this time (ISO-8601).'),
    sort: z
      .enum(['createdAt', 'latencyMs', 'riskScore'])
      .default('createdAt')
      .describe('Order by time, latency or risk.'),
    order: z.enum(['asc', 'desc']).default('desc').describe('Newest (largest) first by default.'),
  })
  .refine((v) => v.minRisk === undefined || v.maxRisk === undefined || v.minRisk <= v.maxRisk, {
    message: 'minRisk must not exceed maxRisk',
    path: ['minRisk'],
  })
  .refine((v) => !v.from || !v.to || v.from <= v.to, { message: 'from must be before to', path: ['from'] });

export type LogSearchQuery = z.infer<typeof logSearchQuery>;
