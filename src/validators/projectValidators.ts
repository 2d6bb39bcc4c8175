import { z } from 'zod';
import { isoDate } from './common.js';
import { GuardMode, PiiMode } from '../types/vocabulary.js';

export const projectIdParam = z.object({ id: z.string().min(1).max(64) });
export const projectIdQuery = z.object({
  projectId: z.string().min(1).max(64).describe('The project (one you own; an admin may name any).'),
});

export const createProjectBody = z.strictObject({
  name: z.string().trim().min(1).max(100).describe('Name of the project.'),
  description: z.string().trim().max(1000).optional().describe('What the project is for.'),
});

export const createApiKeyBody = z.strictObject({
  name: z.string().trim().min(1).max(100).optional().describe('A name to recognise the key by (default `default`).'),
  expiresAt: isoDate.optional().describe('When the key stops working (must be in the future; default: never).'),
});

export const rotateApiKeyBody = z.strictObject({
  apiKeyId: z.string().min(1).max(64).describe('Id of the key to replace.'),
  gracePeriodSeconds: z
    .number()
    .int()
    .min(0)
    .max(30 * 86_400)
    .default(0)
    .describe('Seconds the old key keeps working (at most 30 days; 0: revoked at once).'),
});

export const deleteApiKeyBody = z.strictObject({
  apiKeyId: z.string().min(1).max(64).describe('Id of the key to revoke.'),
});

const httpUrl = z.url({ protocol: /^https?$/, message: 'must be an http(s) URL' }).max(2048);

/** What each project setting does: shared by the settings body and the project in responses. */
export const PROJECT_FIELDS = {
  name: 'Name of the project.',
  description: 'What the project is for.',
  safetyThreshold:
    'Risk score (0-100) at or above which a call is decided `block` (under guardMode `enforce`; default 80).',
  piiMode:
    '`off`: PII and secrets are flagged and stored as sent; `redact`: replaced by placeholders such as [EMAIL] ' +
    'before storing, and the answer carries the redacted prompt; `block`: the call is decided `block` and ' +
    'stored redacted.',
  guardMode: '`enforce`: decisions may block; `monitor`: scored and flagged, never blocked.',
  defaultModel:
    'The model used when none is named (/guard/check without `model`), and the fallback for a model outside ' +
    'the allowed models when no fallbackModel is set.',
  systemPrompt:
    'System prompt the project wants its calls to use: returned as `systemPrompt` by /llm/request and ' +
    '/llm/check, and used to spot a leak of it in responses.',
  datadogWebhookSecret:
    'Write-only: the secret Datadog signs its webhook calls with (hex HMAC-SHA-256 of the body); read back masked.',
  alertWebhookUrl: 'Where incident alerts are POSTed as signed JSON (null: no webhook alerts).',
  alertWebhookSecret:
    'Write-only: signs the alert webhooks (X-LLMGuard-Signature); stored encrypted, read back masked.',
  slackWebhookUrl: 'A Slack incoming-webhook URL (https) that gets incident alerts (null: none).',
} as const;

export const projectSettingsBody = z
  .strictObject({
    name: z.string().trim().min(1).max(100).optional().describe(PROJECT_FIELDS.name),
    description: z.string().trim().max(1000).nullable().optional().describe(PROJECT_FIELDS.description),
    safetyThreshold: z.number().int().min(0).max(100).optional().describe(PROJECT_FIELDS.safetyThreshold),
    piiMode: z.enum(PiiMode).optional().describe(PROJECT_FIELDS.piiMode),
    /** enforce: decisions may block; monitor: scored and flagged, never blocked */
    guardMode: z.enum(GuardMode).optional().describe(PROJECT_FIELDS.guardMode),
    defaultModel: z.string().trim().min(1).max(200).nullable().optional().describe(PROJECT_FIELDS.defaultModel),
    systemPrompt: z.string().max(20_000).nullable().optional().describe(PROJECT_FIELDS.systemPrompt),
    datadogWebhookSecret: z
      .string()
      .min(16)
      .max(256)
      .nullable()
      .optional()
      .describe(PROJECT_FIELDS.datadogWebhookSecret),
    alertWebhookUrl: httpUrl.nullable().optional().describe(PROJECT_FIELDS.alertWebhookUrl),
    /** write-only: signs alert webhooks (X-LLMGuard-Signature); stored encrypted, read back masked */
    alertWebhookSecret: z.string().min(16).max(256).nullable().optional().describe(PROJECT_FIELDS.alertWebhookSecret),
    /** Slack only issues https incoming-webhook URLs */
    slackWebhookUrl: z
      .url({ protocol: /^https$/, message: 'must be an https URL' })
      .max(2048)
      .nullable()
      .optional()
      .describe(PROJECT_FIELDS.slackWebhookUrl),
  })
  .refine((v) => Object.values(v).some((x) => x !== undefined), { message: 'Nothing to update' });

export const price = z.strictObject({
  inputPerMTok: z.number().min(0).max(10_000).describe('USD per million input tokens.'),
  outputPerMTok: z.number().min(0).max(10_000).describe('USD per million output tokens.'),
});

export const MODEL_SETTING_FIELDS = {
  allowedModels:
    'Models the project may use; a call for another model gets `effectiveModel` = the fallback and the flag ' +
    '`model:not_allowed` (null or empty: any model).',
  fallbackModel: "The model used instead of one outside `allowedModels` (default: the project's `defaultModel`).",
  priceOverrides:
    'Prices per model name that replace the built-in price list when estimating `costUsd` (also for models it ' +
    'does not know).',
} as const;

export const modelSettingsBody = z.strictObject({
  allowedModels: z
    .array(z.string().trim().min(1).max(200))
    .max(200)
    .nullable()
    .optional()
    .describe(MODEL_SETTING_FIELDS.allowedModels),
  fallbackModel: z.string().trim().min(1).max(200).nullable().optional().describe(MODEL_SETTING_FIELDS.fallbackModel),
  priceOverrides: z
    .record(z.string().trim().min(1).max(200), price)
    .nullable()
    .optional()
    .describe(MODEL_SETTING_FIELDS.priceOverrides),
});

export type ProjectSettingsInput = z.infer<typeof projectSettingsBody>;
export type ModelSettingsInput = z.infer<typeof modelSettingsBody>;

/** An upstream provider key: write-only, read back as its last 4 characters. */
const providerApiKey = z
  .string()
  .trim()
  .min(8)
  .max(4096)
  .describe("The provider's API key: write-only, stored encrypted, read back as its last 4 characters.");

export const createProviderBody = z
  .strictObject({
    name: z
      .string()
      .trim()
      .min(1)
      .max(64)
      .regex(/^[A-Za-z0-9_.-]+$/, 'letters, digits, "_", "-" and "." only')
      .default('default')
      .describe('Name the gateway selects it by (x-llmguard-provider header; default `default`).'),
    kind: z
      .enum(['openai', 'azure', 'compatible'])
      .default('openai')
      .describe('`openai`, Azure OpenAI, or another OpenAI-compatible API (default `openai`).'),
    /** OpenAI's own API when unset (kind openai); required for azure and compatible. */
    baseUrl: httpUrl
      .nullable()
      .optional()
      .describe("The API's base URL: OpenAI's own when unset (kind openai); required for azure and compatible."),
    /** Azure OpenAI api-version (e.g. 2024-10-21). */
    apiVersion: z
      .string()
      .trim()
      .min(1)
      .max(40)
      .nullable()
      .optional()
      .describe('Azure OpenAI api-version, e.g. 2024-10-21 (required for azure).'),
    fallbackModels: z
      .array(z.string().trim().min(1).max(200))
      .max(5)
      .optional()
      .describe("Models the gateway tries, in order, when the call's model fails upstream."),
    apiKey: providerApiKey,
  })
  .refine((b) => b.kind === 'openai' || b.baseUrl, { message: 'baseUrl is required for this kind', path: ['baseUrl'] })
  .refine((b) => b.kind !== 'azure' || b.apiVersion, {
    message: 'apiVersion is required for azure',
    path: ['apiVersion'],
  });
z.globalRegistry.add(createProviderBody, {
  examples: [{ name: 'default', kind: 'openai', baseUrl: 'https://api.openai.com/v1', apiKey: 'sk-...' }],
});

export const providerParams = z.object({ id: z.string().min(1).max(64), providerId: z.string().min(1).max(64) });
export const providerVersionParams = providerParams.extend({ version: z.coerce.number().int().min(1) });

export const rotateProviderBody = z.strictObject({
  apiKey: providerApiKey,
  /** erase every older version's key at once (default: they stay until revoked) */
  revokePrevious: z
    .boolean()
    .default(false)
    .describe("Erase every older version's key at once (default: they stay until revoked one by one)."),
});
