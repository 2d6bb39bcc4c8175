import { z } from 'zod';
import { isoDate, pageQuery } from './common.js';
import { isValidScore, SCORE_RANGE } from '../domain/feedback/feedbackScore.js';
import { FeedbackScale, SentimentLabel } from '../types/vocabulary.js';

/** Longest feedback comment stored (characters). */
export const FEEDBACK_COMMENT_MAX = 2_000;

export const llmFeedbackBody = z
  .object({
    /** id of the logged call: the `id` of /llm/request's answer or the gateway's x-llmguard-request-id */
    requestId: z
      .string()
      .trim()
      .min(1)
      .max(64)
      .describe("The call rated: the `id` /llm/request answered with, or the gateway's `x-llmguard-request-id`."),
    score: z.number().int().describe('`thumbs`: -1 (down) or 1 (up); `stars`: 1-5.'),
    scale: z.enum(FeedbackScale).default('thumbs').describe('How `score` is meant (default `thumbs`).'),
    comment: z
      .string()
      .trim()
      .max(FEEDBACK_COMMENT_MAX)
      .optional()
      .describe(`What the end user said (at most ${FEEDBACK_COMMENT_MAX} characters); gets a sentiment label.`),
    /** language of the comment; detected (English or German) when left out */
    language: z
      .enum(['en', 'de'])
      .optional()
      .describe('Language of the comment; detected (English or German) when left out.'),
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
    label: z.enum(SentimentLabel).describe('negative, neutral or positive'),
    score: z.number().describe('lexicon score per word: below 0 negative, above 0 positive'),
    language: z.enum(['en', 'de']).nullable().describe('the language it was scored in'),
  })
  .nullable()
  .describe('null without a comment');

export const llmFeedbackSchema = z.object({
  id: z.string().describe('Id of the feedback.'),
  requestId: z.string().describe('The call it rates.'),
  model: z.string().describe('the effective model of the rated call'),
  configVersion: z.number().int().nullable().describe('the configuration version the rated call ran under'),
  score: z.number().int().describe('`thumbs`: -1 or 1; `stars`: 1-5.'),
  scale: z.enum(FeedbackScale).describe('How `score` is meant.'),
  negative: z.boolean().describe('thumbs down, or one or two stars'),
  comment: z.string().nullable().describe('The comment, if any.'),
  sentiment: sentimentSchema,
  createdAt: timestamp.describe('When it was given.'),
});
export const llmFeedbackResponse = z.object({
  feedback: llmFeedbackSchema.describe('The stored feedback.'),
});

const feedbackStats = {
  count: z.number().int().min(0).describe('Feedback given.'),
  negative: z.number().int().min(0).describe('Negative feedback (thumbs down, one or two stars).'),
  negativeShare: share.nullable().describe('negative / count, 0-1 (null without feedback)'),
  averageScore: share.nullable().describe('mean score on a 0-1 scale (thumbs up 1, down 0; stars (n-1)/4)'),
  averageStars: z.number().min(1).max(5).nullable().describe('mean of the star ratings (null without any)'),
  thumbsUp: z.number().int().min(0).describe('Thumbs up given.'),
  thumbsDown: z.number().int().min(0).describe('Thumbs down given.'),
};
export const metricsFeedbackSchema = z.object({
  summary: z.object(feedbackStats).describe('All feedback in the range.'),
  byModel: z
    .array(z.object({ model: z.string().describe('the effective model of the rated calls'), ...feedbackStats }))
    .describe('per model'),
  byConfigVersion: z
    .array(z.object({ configVersion: z.number().int().describe('the configuration version'), ...feedbackStats }))
    .describe('per configuration version the calls ran under (an A/B split compares its arms here)'),
});

// ---- product feedback from dashboard users (POST /feedback, GET /admin/feedback) ----

export const PRODUCT_FEEDBACK_MESSAGE_MAX = 5_000;
export const productFeedbackKinds = ['bug', 'feature_request', 'praise', 'other'] as const;
export const productFeedbackStatuses = ['new', 'planned', 'done', 'declined'] as const;
const sentimentLabels = ['negative', 'neutral', 'positive'] as const;

export const productFeedbackBody = z.object({
  kind: z.enum(productFeedbackKinds).describe('What it is: a bug, a feature request, praise or other.'),
  message: z
    .string()
    .trim()
    .min(1)
    .max(PRODUCT_FEEDBACK_MESSAGE_MAX)
    .describe(`The feedback (at most ${PRODUCT_FEEDBACK_MESSAGE_MAX} characters); gets a sentiment label.`),
  rating: z.number().int().min(1).max(5).optional().describe('An optional rating of the product, 1-5.'),
  /** the dashboard page the feedback was written on */
  page: z.string().trim().min(1).max(500).optional().describe('The dashboard page it was written on.'),
  language: z
    .enum(['en', 'de'])
    .optional()
    .describe('Language of the message; detected (English or German) when left out.'),
});
z.globalRegistry.add(productFeedbackBody, {
  examples: [{ kind: 'feature_request', message: 'Please add a CSV export to the logs page.', page: '/logs' }],
});

export const ownFeedbackQuery = pageQuery;

export const adminFeedbackQuery = pageQuery
  .extend({
    kind: z.enum(productFeedbackKinds).optional().describe('Only feedback of this kind.'),
    sentiment: z.enum(sentimentLabels).optional().describe('Only feedback with this sentiment label.'),
    status: z.enum(productFeedbackStatuses).optional().describe('Only feedback with this status.'),
    from: isoDate.optional().describe('Only feedback given at or after this time.'),
    to: isoDate.optional().describe('Only feedback given at or before this time.'),
  })
  .refine((v) => !v.from || !v.to || v.from <= v.to, { message: 'from must be before to', path: ['from'] });

export const feedbackStatusBody = z.strictObject({
  status: z.enum(productFeedbackStatuses).describe('The new status the user sees on their feedback.'),
});

export type ProductFeedbackBody = z.infer<typeof productFeedbackBody>;
export type AdminFeedbackQuery = z.infer<typeof adminFeedbackQuery>;

export const productFeedbackSchema = z.object({
  id: z.string().describe('Id of the feedback.'),
  kind: z.enum(productFeedbackKinds).describe('bug, feature_request, praise or other'),
  message: z.string().describe('The feedback as written.'),
  page: z.string().nullable().describe('The dashboard page it was written on.'),
  rating: z.number().int().nullable().describe('The rating 1-5, if one was given.'),
  sentiment: sentimentSchema,
  status: z.enum(productFeedbackStatuses).describe('new, planned, done or declined (set by admins)'),
  statusChangedAt: timestamp.nullable().describe('When an admin last set the status.'),
  createdAt: timestamp.describe('When it was given.'),
});
export const productFeedbackResponse = z.object({
  feedback: productFeedbackSchema.describe('The stored feedback.'),
});
export const adminFeedbackItem = productFeedbackSchema.extend({
  user: z
    .object({
      id: z.string().describe('Id of the user.'),
      email: z.string().describe('Their email address.'),
      name: z.string().nullable().describe('Their display name.'),
    })
    .describe('Who gave it.'),
});
