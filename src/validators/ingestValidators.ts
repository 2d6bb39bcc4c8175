import { z } from 'zod';
import { Decision, RequestStatus, RiskLevel } from '../types/vocabulary.js';

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
  status: z.enum(RequestStatus).default('success'),
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

/** A pre-flight check (the SDK's guardCheck): nothing is recorded. */
export const llmCheckBody = z.strictObject({
  model: z.string().trim().min(1).max(200),
  prompt: utf8Max(MB, 'prompt'),
  endpoint: z.string().trim().min(1).max(200).nullable().optional(),
  userId: z.string().trim().min(1).max(200).nullable().optional(),
});
z.globalRegistry.add(llmCheckBody, {
  examples: [{ model: 'gpt-4o', prompt: 'Summarise this ticket.', endpoint: 'chat', userId: 'end-user-42' }],
});
export type LlmCheckInput = z.infer<typeof llmCheckBody>;

export const DECISION_DESCRIPTION =
  'What to do with the call. `block`: do not serve it as sent (risk score at or above the safety threshold, ' +
  "or PII/secrets found while the project's piiMode is `block`). `flag`: serve it, but it needs a look " +
  '(a finding such as prompt injection, harmful content, PII or a secret, a system prompt leak, medium risk or ' +
  'more, or a model outside the allowed models replaced by the fallback). `allow`: nothing found, nothing changed.';

export const ingestResponse = z.object({
  id: z.string().describe('Id of the stored request (GET /logs/{id} shows it).'),
  riskScore: z.number().int().min(0).max(100).describe('Risk score 0-100; signals combine as independent evidence.'),
  riskLevel: z
    .enum(RiskLevel)
    .describe('Band of the score: low < 30 <= medium < 60 <= high < 85 <= critical.'),
  riskFlags: z
    .array(z.string())
    .describe(
      'Every signal found, e.g. `injection:override`, `pii:email`, `secret:api_key`, `response:pii:email`, ' +
        '`model:not_allowed`, `pii:blocked`.',
    ),
  decision: z.enum(Decision).describe(DECISION_DESCRIPTION),
  effectiveModel: z
    .string()
    .describe('Model the call should use: the requested one, or the one a remediation or allowedModels chose.'),
  systemPrompt: z
    .string()
    .nullable()
    .describe('System prompt the project (or a change_system_prompt remediation) wants the call to use.'),
  costUsd: z.number().nullable().describe('Estimated cost in USD from the token counts; null for an unknown model.'),
  remediations: z
    .array(z.object({ id: z.string(), action: z.string() }))
    .describe('Remediations that shaped this call.'),
  redactedPrompt: z
    .string()
    .nullable()
    .optional()
    .describe(
      "The prompt with PII and secrets replaced by placeholders such as [EMAIL], when the project's piiMode " +
        'redacted something (null otherwise). Forward this instead of the original.',
    ),
  configVersion: z
    .number()
    .int()
    .nullable()
    .describe("The project's config version (or A/B split arm) that answered the call; stored on the row."),
});
z.globalRegistry.add(ingestResponse, {
  examples: [
    {
      id: '0196f1c2-7a3b-7c10-9d2e-5b8a4f6e1c23',
      riskScore: 12,
      riskLevel: 'low',
      riskFlags: ['pii:email'],
      decision: 'flag',
      effectiveModel: 'gpt-4o',
      systemPrompt: null,
      costUsd: 0.0011,
      remediations: [],
      redactedPrompt: null,
      configVersion: 3,
    },
  ],
});

export type IngestResponse = z.infer<typeof ingestResponse>;
