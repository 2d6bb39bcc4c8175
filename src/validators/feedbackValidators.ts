import { z } from 'zod';
import { isoDate, pageQuery } from './common.js';
import { isValidScore, SCORE_RANGE } from '../domain/feedback/feedbackScore.js';
import { FeedbackScale, SentimentLabel } from '../types/vocabulary.js';

/** Longest feedback comment stored (characters). */
export const FEEDBACK_COMMENT_MAX = 2_000;

export const llmFeedbackBody = z
  .object({
    /** id of the logged call: the `id` of /llm/request's answer or the gateway's x-llmguard-request-id */
    requestId: z.string().trim().min(1).max(64),
    score: z.number().int(),
    scale: z.enum(FeedbackScale).default('thumbs'),
    comment: z.string().trim().max(FEEDBACK_COMMENT_MAX).optional(),
    /** language of the comment; detected (English or German) when left out */
    language: z.enum(['en', 'de']).optional(),
  })
  .superRefine((v, ctx) => {
    if (!isValidScore(v.scale, v.score)) {
      ctx.addIssue({
        code: 'custom',
        path: ['score'],
        message: `score must be ${SCORE_RANGE[v.scale].text} for scale "${v.scale}"`,
      });
    }
  });
z.globalRegistry.add(llmFeedbackBody, {
  examples: [
    { requestId: '0193a6f2-7c1e-7d40-9b1a-2f5c8e4d1a00', score: -1, comment: 'The answer made up a refund policy.' },
  ],
});

export type LlmFeedbackBody = z.infer<typeof llmFeedbackBody>;

const timestamp = z.iso.datetime({ offset: true });
const share = z.number().min(0).max(1);

export const sentimentSchema = z
  .object({
    label: z.enum(SentimentLabel),
    score: z.number().describe('lexicon score per word: below 0 negative, above 0 positive'),
    language: z.enum(['en', 'de']).nullable(),
  })
  .nullable()
  .describe('null without a comment');

export const llmFeedbackSchema = z.object({
  id: z.string(),
  requestId: z.string(),
  model: z.string().describe('the effective model of the rated call'),
  configVersion: z.number().int().nullable().describe('the configuration version the rated call ran under'),
  score: z.number().int(),
  scale: z.enum(FeedbackScale),
  negative: z.boolean().describe('thumbs down, or one or two stars'),
  comment: z.string().nullable(),
  sentiment: sentimentSchema,
  createdAt: timestamp,
});
export const llmFeedbackResponse = z.object({ feedback: llmFeedbackSchema });

const feedbackStats = {
  count: z.number().int().min(0),
  negative: z.number().int().min(0),
  negativeShare: share.nullable(),
  averageScore: share.nullable().describe('mean score on a 0-1 scale (thumbs up 1, down 0; stars (n-1)/4)'),
  averageStars: z.number().min(1).max(5).nullable(),
  thumbsUp: z.number().int().min(0),
  thumbsDown: z.number().int().min(0),
};
export const metricsFeedbackSchema = z.object({
  summary: z.object(feedbackStats),
  byModel: z.array(z.object({ model: z.string(), ...feedbackStats })),
  byConfigVersion: z
    .array(z.object({ configVersion: z.number().int(), ...feedbackStats }))
    .describe('per configuration version the calls ran under (an A/B split compares its arms here)'),
});

// ---- product feedback from dashboard users (POST /feedback, GET /admin/feedback) ----

export const PRODUCT_FEEDBACK_MESSAGE_MAX = 5_000;
export const productFeedbackKinds = ['bug', 'feature_request', 'praise', 'other'] as const;
export const productFeedbackStatuses = ['new', 'planned', 'done', 'declined'] as const;
const sentimentLabels = ['negative', 'neutral', 'positive'] as const;

export const productFeedbackBody = z.object({
  kind: z.enum(productFeedbackKinds),
  message: z.string().trim().min(1).max(PRODUCT_FEEDBACK_MESSAGE_MAX),
  rating: z.number().int().min(1).max(5).optional(),
  /** the dashboard page the feedback was written on */
  page: z.string().trim().min(1).max(500).optional(),
  language: z.enum(['en', 'de']).optional(),
});
z.globalRegistry.add(productFeedbackBody, {
  examples: [{ kind: 'feature_request', message: 'Please add a CSV export to the logs page.', page: '/logs' }],
});

export const ownFeedbackQuery = pageQuery;

export const adminFeedbackQuery = pageQuery
  .extend({
    kind: z.enum(productFeedbackKinds).optional(),
    sentiment: z.enum(sentimentLabels).optional(),
    status: z.enum(productFeedbackStatuses).optional(),
    from: isoDate.optional(),
    to: isoDate.optional(),
  })
  .refine((v) => !v.from || !v.to || v.from <= v.to, { message: 'from must be before to', path: ['from'] });

export const feedbackStatusBody = z.strictObject({ status: z.enum(productFeedbackStatuses) });

export type ProductFeedbackBody = z.infer<typeof productFeedbackBody>;
export type AdminFeedbackQuery = z.infer<typeof adminFeedbackQuery>;

export const productFeedbackSchema = z.object({
  id: z.string(),
  kind: z.enum(productFeedbackKinds),
  message: z.string(),
  page: z.string().nullable(),
  rating: z.number().int().nullable(),
  sentiment: sentimentSchema,
  status: z.enum(productFeedbackStatuses),
  statusChangedAt: timestamp.nullable(),
  createdAt: timestamp,
});
export const productFeedbackResponse = z.object({ feedback: productFeedbackSchema });
export const adminFeedbackItem = productFeedbackSchema.extend({
  user: z.object({ id: z.string(), email: z.string(), name: z.string().nullable() }),
});
