import { z } from 'zod';

const MB = 1024 * 1024;
const METADATA_MAX_BYTES = 16 * 1024;

/** Length in UTF-8 bytes, the unit the limits are stated in. */
const utf8Max = (max: number, label: string) =>
  z.string().refine((s) => s.length <= max && Buffer.byteLength(s, 'utf8') <= max, {
    message: `${label} must be at most ${max / MB} MB`,
  });

const tokens = z.number().int().min(0).max(100_000_000);

export const llmRequestBody = z.strictObject({
  model: z.string().trim().min(1).max(200),
  prompt: utf8Max(MB, 'prompt'),
  response: utf8Max(MB, 'response').nullable().optional(),
  endpoint: z.string().trim().min(1).max(200).nullable().optional(),
  userId: z.string().trim().min(1).max(200).nullable().optional(),
  latencyMs: z.number().int().min(0).max(3_600_000),
  promptTokens: tokens.nullable().optional(),
  completionTokens: tokens.nullable().optional(),
  status: z.enum(['success', 'error']).default('success'),
  error: z.string().max(10_000).nullable().optional(),
  metadata: z
    .record(z.string(), z.unknown())
    .nullable()
    .optional()
    .refine((m) => m == null || Buffer.byteLength(JSON.stringify(m), 'utf8') <= METADATA_MAX_BYTES, {
      message: 'metadata must be at most 16 KB of JSON',
    }),
});
z.globalRegistry.add(llmRequestBody, {
  examples: [
    {
      model: 'gpt-4o',
      prompt: 'Summarise this ticket for the on-call engineer.',
      response: 'The checkout page times out for EU users since 14:00 UTC.',
      endpoint: 'chat',
      userId: 'end-user-42',
      latencyMs: 812,
      promptTokens: 120,
      completionTokens: 80,
      status: 'success',
      error: null,
      metadata: { any: 'json' },
    },
  ],
});

export type LlmRequestInput = z.infer<typeof llmRequestBody>;

export const ingestResponse = z.object({
  id: z.string(),
  riskScore: z.number().int().min(0).max(100),
  riskLevel: z.enum(['low', 'medium', 'high', 'critical']),
  riskFlags: z.array(z.string()),
  decision: z.enum(['allow', 'flag', 'block']),
  effectiveModel: z.string(),
  systemPrompt: z.string().nullable(),
  costUsd: z.number().nullable(),
  remediations: z.array(z.object({ id: z.string(), action: z.string() })),
});
z.globalRegistry.add(ingestResponse, {
  examples: [
    {
      id: '0196f1c2-7a3b-7c10-9d2e-5b8a4f6e1c23',
      riskScore: 12,
      riskLevel: 'low',
      riskFlags: ['pii:email'],
      decision: 'allow',
      effectiveModel: 'gpt-4o',
      systemPrompt: null,
      costUsd: 0.0011,
      remediations: [],
    },
  ],
});

export type IngestResponse = z.infer<typeof ingestResponse>;
