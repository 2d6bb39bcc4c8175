import { z } from 'zod';
import { Decision, RequestStatus, RiskLevel } from '../types/vocabulary.js';
import { jsonBytes } from '../utils/jsonBytes.js';

const MB = 1024 * 1024;
const METADATA_MAX_BYTES = 16 * 1024;

/** Length in UTF-8 bytes, the unit the limits are stated in. */
const utf8Max = (max: number, label: string) =>
  z.string().refine((s) => s.length <= max && Buffer.byteLength(s, 'utf8') <= max, {
    message: `${label} must be at most ${max / MB} MB`,
  });

const tokens = z.number().int().min(0).max(100_000_000);

export const CHAT_ROLES = ['system', 'developer', 'user', 'assistant', 'tool'] as const;

/** OpenAI's chat message shape; fields other than role, content and name ride along unread. */
export const chatMessage = z
  .looseObject({
    role: z
      .enum(CHAT_ROLES)
      .describe('Who wrote it. `system`/`developer` text is your own instructions: not scored as an injection.'),
    content: z
      .union([
        z.string(),
        z
          .array(
            z.looseObject({
              type: z.string().max(64).describe('Part type, e.g. `text`, `image_url` or `input_audio`.'),
              text: z.string().optional().describe('The text of a `text` part.'),
            }),
          )
          .max(1000)
          .describe('Content parts: the text of `{ type: "text", text }` parts counts, images and audio are ignored.'),
        z.null(),
      ])
      .optional()
      .describe('The text, or OpenAI content parts; null for an assistant message that only calls tools.'),
    name: z.string().max(200).optional().describe('Optional participant name (OpenAI `name`).'),
  })
  .describe('One chat message, as the `openai` SDK sends it.');

/** A prompt as one text, at most 1 MB. */
export const promptText = utf8Max(MB, 'prompt');
export const PROMPT_DESCRIPTION = 'The prompt as one text. Send either `prompt` or `messages`, not both.';

/** OpenAI's `messages` array: at least one message, at most 2 MB of JSON. */
export const chatMessages = z
  .array(chatMessage)
  .min(1)
  .max(10_000)
  // counted, not stringified: stringifying 2 MB to count it took 8-15 ms (utils/jsonBytes.ts)
  .refine((ms) => jsonBytes(ms) <= 2 * MB, {
    message: 'messages must be at most 2 MB of JSON',
  });

/** The refinement of a body that takes `prompt` or `messages`: exactly one of them (400 otherwise). */
export function exactlyOnePromptOrMessages(body: { prompt?: unknown; messages?: unknown }, ctx: z.RefinementCtx) {
  if ((body.prompt === undefined) === (body.messages === undefined)) {
    ctx.addIssue({
      code: 'custom',
      path: [body.prompt === undefined ? 'prompt' : 'messages'],
      message: 'Send exactly one of `prompt` and `messages`',
    });
  }
}

export const llmRequestBody = z
  .strictObject({
    model: z.string().trim().min(1).max(200).describe('The model the app asked for, e.g. `gpt-4o`.'),
    prompt: promptText.optional().describe(PROMPT_DESCRIPTION),
    messages: chatMessages
      .optional()
      .describe(
        "The chat messages as sent to the model (OpenAI's `messages`), instead of `prompt`: stored with their roles " +
          'and scored message by message.',
      ),
    response: utf8Max(MB, 'response')
      .nullable()
      .optional()
      .describe("The model's answer as text (checked for PII and a system prompt leak); null if there was none."),
    endpoint: z
      .string()
      .trim()
      .min(1)
      .max(200)
      .nullable()
      .optional()
      .describe('Your name for the feature that made the call, e.g. `support-chat` (what disable_endpoint matches).'),
    userId: z
      .string()
      .trim()
      .min(1)
      .max(200)
      .nullable()
      .optional()
      .describe('Your id of the end user (what rate_limit_user matches); never an email.'),
    latencyMs: z.number().int().min(0).max(3_600_000).describe('How long the model call took, in milliseconds.'),
    promptTokens: tokens
      .nullable()
      .optional()
      .describe("Input tokens from the provider's usage (cost is estimated from them)."),
    completionTokens: tokens.nullable().optional().describe("Output tokens from the provider's usage."),
    status: z.enum(RequestStatus).default('success').describe('`error` when the model call failed.'),
    error: z.string().max(10_000).nullable().optional().describe('The error message of a failed call.'),
    metadata: z
      .record(z.string(), z.unknown())
      .nullable()
      .optional()
      .refine((m) => m == null || jsonBytes(m) <= METADATA_MAX_BYTES, {
        message: 'metadata must be at most 16 KB of JSON',
      })
      .describe('Any JSON object of yours (at most 16 KB), stored with the call and shown by GET /logs/{id}.'),
  })
  .superRefine(exactlyOnePromptOrMessages);
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
    {
      model: 'gpt-4o-mini',
      messages: [
        { role: 'system', content: 'You are the support assistant of ACME. Answer in two sentences.' },
        { role: 'user', content: 'Where is my order 1042?' },
      ],
      response: 'Order 1042 left our warehouse yesterday and arrives on Monday.',
      endpoint: 'support-chat',
      userId: 'end-user-42',
      latencyMs: 640,
      promptTokens: 52,
      completionTokens: 18,
    },
  ],
});

export type LlmRequestInput = z.infer<typeof llmRequestBody>;

/** A pre-flight check (the SDK's guardCheck): nothing is recorded. */
export const llmCheckBody = z
  .strictObject({
    model: z.string().trim().min(1).max(200).describe('The model the app is about to call, e.g. `gpt-4o`.'),
    prompt: promptText.optional().describe(PROMPT_DESCRIPTION),
    messages: chatMessages
      .optional()
      .describe(
        "The chat messages the app is about to send (OpenAI's `messages`), instead of `prompt`: scored message " +
          'by message with their roles, as /llm/request scores them.',
      ),
    endpoint: z
      .string()
      .trim()
      .min(1)
      .max(200)
      .nullable()
      .optional()
      .describe('Your name for the feature making the call (a disabled endpoint answers 403 ENDPOINT_DISABLED).'),
    userId: z
      .string()
      .trim()
      .min(1)
      .max(200)
      .nullable()
      .optional()
      .describe(
        'Your id of the end user; under a rate_limit_user remediation the check counts as a call of this user ' +
          '(429 USER_RATE_LIMITED past the limit).',
      ),
  })
  .superRefine(exactlyOnePromptOrMessages);
z.globalRegistry.add(llmCheckBody, {
  examples: [
    { model: 'gpt-4o', prompt: 'Summarise this ticket.', endpoint: 'chat', userId: 'end-user-42' },
    {
      model: 'gpt-4o-mini',
      messages: [
        { role: 'system', content: 'You are the support assistant of ACME.' },
        { role: 'user', content: 'Where is my order 1042?' },
      ],
      endpoint: 'support-chat',
      userId: 'end-user-42',
    },
  ],
});
export type LlmCheckInput = z.infer<typeof llmCheckBody>;

export const DECISION_DESCRIPTION =
  'What to do with the call. `block`: do not serve it as sent (risk score at or above the safety threshold, ' +
  "or PII/secrets found while the project's piiMode is `block`). `flag`: serve it, but it needs a look " +
  '(a finding such as prompt injection, harmful content, PII or a secret, a system prompt leak, medium risk or ' +
  'more, or a model outside the allowed models replaced by the fallback). `allow`: nothing found, nothing changed.';

/** A message as stored and as it may leave after a check or a report: its role and its text. */
export const storedMessage = z.object({
  role: z.string().describe('The role of the message as sent (`system`, `user`, `tool`, ...).'),
  content: z.string().describe('Its text: a string as sent, or the text of its content parts joined by newlines.'),
  name: z.string().optional().describe('The `name` it was sent with, if any.'),
});

/** A remediation that shaped the answer to a call (/llm/request and /llm/check alike). */
const appliedRemediation = z.object({
  id: z.string().describe('Id of the remediation (GET /incidents/{id} lists it).'),
  action: z.string().describe('What it does, e.g. `switch_model` or `change_system_prompt`.'),
});
const riskLevelField = z
  .enum(RiskLevel)
  .describe('Band of the score: low < 30 <= medium < 60 <= high < 85 <= critical.');
const systemPromptField = z
  .string()
  .nullable()
  .describe('System prompt the project (or a change_system_prompt remediation) wants the call to use.');

export const ingestResponse = z.object({
  id: z.string().describe('Id of the stored request (GET /logs/{id} shows it).'),
  riskScore: z.number().int().min(0).max(100).describe('Risk score 0-100; signals combine as independent evidence.'),
  riskLevel: riskLevelField,
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
  systemPrompt: systemPromptField,
  costUsd: z.number().nullable().describe('Estimated cost in USD from the token counts; null for an unknown model.'),
  remediations: z.array(appliedRemediation).describe('Remediations that shaped this call.'),
  redactedPrompt: z
    .string()
    .nullable()
    .optional()
    .describe(
      "The prompt with PII and secrets replaced by placeholders such as [EMAIL], when the project's piiMode " +
        'redacted something (null otherwise). Forward this instead of the original.',
    ),
  redactedMessages: z
    .array(storedMessage)
    .nullable()
    .optional()
    .describe(
      'For a call reported with `messages`: the messages with PII and secrets replaced by placeholders, when ' +
        "the project's piiMode redacted something (null otherwise).",
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

export const llmCheckResponse = z.object({
  decision: z.enum(Decision).describe(DECISION_DESCRIPTION),
  riskScore: z.number().int().min(0).max(100).describe('Risk score 0-100, as /llm/request would score the call.'),
  riskLevel: riskLevelField,
  riskFlags: z.array(z.string()).describe('Every signal found, e.g. `injection:override`, `pii:email`.'),
  effectiveModel: z
    .string()
    .describe('Model to call: the requested one, or the one a remediation or allowedModels chose.'),
  systemPrompt: systemPromptField,
  remediations: z.array(appliedRemediation).describe('Active remediations that shaped the answer.'),
  prompt: z
    .string()
    .optional()
    .describe(
      "For a check sent with `prompt`: the prompt as it may leave, PII and secrets replaced by placeholders when the project's piiMode is `redact`, else as sent.",
    ),
  messages: z
    .array(storedMessage)
    .optional()
    .describe(
      "For a check sent with `messages`: each message's text as it may leave, PII and secrets replaced by " +
        "placeholders when the project's piiMode is `redact` (content parts flattened to their text).",
    ),
});
z.globalRegistry.add(llmCheckResponse, {
  examples: [
    {
      decision: 'allow',
      riskScore: 0,
      riskLevel: 'low',
      riskFlags: [],
      effectiveModel: 'gpt-4o',
      systemPrompt: null,
      remediations: [],
      prompt: 'Summarise this ticket.',
    },
  ],
});
export type LlmCheckResponse = z.infer<typeof llmCheckResponse>;
