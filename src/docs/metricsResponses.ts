/**
 * The response of GET /api/v1/metrics, for the OpenAPI document (responses.ts names it among
 * the components): the range's summary, per model, as a series, with its feedback and refusals.
 */
import { z } from 'zod';
import { metricsFeedbackSchema } from '../validators/feedbackValidators.js';
import { count, timestamp } from './schemaParts.js';

const traffic = {
  errorRate: z.number().min(0).max(1).describe('Share of failed calls, 0-1.'),
  promptTokens: count.describe('Input tokens.'),
  completionTokens: count.describe('Output tokens.'),
  totalTokens: count.describe('Input plus output tokens.'),
  avgLatencyMs: z.number().min(0).describe('Mean latency in milliseconds.'),
};
const requestCount = count.describe('Calls recorded.');
const errorCount = count.describe('Failed calls.');
const unpriced = count.describe('Calls whose model has no known price (not in costUsd).');

export const metricsResponse = z.object({
  projectId: z.string().describe('The project.'),
  from: timestamp.describe('Start of the range, aligned to the granularity.'),
  to: timestamp.describe('exclusive, aligned to the granularity'),
  granularity: z.enum(['hour', 'day']).describe('Width of each point of `series`.'),
  summary: z
    .object({
      totalRequests: requestCount,
      errorCount,
      ...traffic,
      costUsd: z.number().min(0).describe('sum over priced requests'),
      unpricedRequests: unpriced,
      unpricedModels: z.array(z.string()).describe('Models seen without a known price (set one in model settings).'),
      p50LatencyMs: z.number().nullable().describe('Median latency (null without calls).'),
      p95LatencyMs: z.number().nullable().describe('95th percentile latency (null without calls).'),
      avgRiskScore: z.number().min(0).max(100).describe('Mean risk score.'),
      highRiskCount: count.describe('Calls at high or critical risk.'),
    })
    .describe('The whole range.'),
  byModel: z
    .array(
      z.object({
        model: z.string().describe('The model that served the calls.'),
        requests: requestCount,
        errors: errorCount,
        ...traffic,
        costUsd: z.number().nullable().describe('null when no request of the model could be priced'),
        unpricedRequests: unpriced,
      }),
    )
    .describe('The range per model.'),
  series: z
    .array(
      z.object({
        ts: timestamp.describe('Start of the hour or day.'),
        requests: requestCount,
        errors: errorCount,
        ...traffic,
        costUsd: z.number().min(0).describe('Cost in USD of the priced calls.'),
      }),
    )
    .describe('One point per hour or day of the range.'),
  feedback: metricsFeedbackSchema.describe('feedback given in the range (POST /llm/feedback), in total and per model'),
  refusals: z
    .object({
      total: count.describe('Refused calls.'),
      byReason: z.record(z.string(), count).describe('endpoint_disabled, user_rate_limited'),
    })
    .describe('Calls a remediation refused in the range (stored with outcome refused; also counted above).'),
});
