import { z } from 'zod';
import { isoDate } from './common.js';
import { GuardMode, PiiMode } from '../types/vocabulary.js';

export const projectIdParam = z.object({ id: z.string().min(1).max(64) });
export const projectIdQuery = z.object({ projectId: z.string().min(1).max(64) });

export const createProjectBody = z.strictObject({
  name: z.string().trim().min(1).max(100),
  description: z.string().trim().max(1000).optional(),
});

export const createApiKeyBody = z.strictObject({
  name: z.string().trim().min(1).max(100).optional(),
  expiresAt: isoDate.optional(),
});

export const rotateApiKeyBody = z.strictObject({
  apiKeyId: z.string().min(1).max(64),
  gracePeriodSeconds: z
    .number()
    .int()
    .min(0)
    .max(30 * 86_400)
    .default(0),
});

export const deleteApiKeyBody = z.strictObject({ apiKeyId: z.string().min(1).max(64) });

const httpUrl = z.url({ protocol: /^https?$/, message: 'must be an http(s) URL' }).max(2048);

export const projectSettingsBody = z
  .strictObject({
    name: z.string().trim().min(1).max(100).optional(),
    description: z.string().trim().max(1000).nullable().optional(),
    safetyThreshold: z.number().int().min(0).max(100).optional(),
    piiMode: z.enum(PiiMode).optional(),
    /** enforce: decisions may block; monitor: scored and flagged, never blocked */
    guardMode: z.enum(GuardMode).optional(),
    defaultModel: z.string().trim().min(1).max(200).nullable().optional(),
    systemPrompt: z.string().max(20_000).nullable().optional(),
    datadogWebhookSecret: z.string().min(16).max(256).nullable().optional(),
    alertWebhookUrl: httpUrl.nullable().optional(),
    /** write-only: signs alert webhooks (X-LLMGuard-Signature); stored encrypted, read back masked */
    alertWebhookSecret: z.string().min(16).max(256).nullable().optional(),
    /** Slack only issues https incoming-webhook URLs */
    slackWebhookUrl: z
      .url({ protocol: /^https$/, message: 'must be an https URL' })
      .max(2048)
      .nullable()
      .optional(),
  })
  .refine((v) => Object.values(v).some((x) => x !== undefined), { message: 'Nothing to update' });

const price = z.strictObject({
  inputPerMTok: z.number().min(0).max(10_000),
  outputPerMTok: z.number().min(0).max(10_000),
});

export const modelSettingsBody = z.strictObject({
  allowedModels: z.array(z.string().trim().min(1).max(200)).max(200).nullable().optional(),
  fallbackModel: z.string().trim().min(1).max(200).nullable().optional(),
  priceOverrides: z.record(z.string().trim().min(1).max(200), price).nullable().optional(),
});

export type ProjectSettingsInput = z.infer<typeof projectSettingsBody>;
export type ModelSettingsInput = z.infer<typeof modelSettingsBody>;

/** An upstream provider key: write-only, read back as its last 4 characters. */
const providerApiKey = z.string().trim().min(8).max(4096);

export const createProviderBody = z
  .strictObject({
    name: z
      .string()
      .trim()
      .min(1)
      .max(64)
      .regex(/^[A-Za-z0-9_.-]+$/, 'letters, digits, "_", "-" and "." only')
      .default('default'),
    kind: z.enum(['openai', 'azure', 'compatible']).default('openai'),
    /** OpenAI's own API when unset (kind openai); required for azure and compatible. */
    baseUrl: httpUrl.nullable().optional(),
    /** Azure OpenAI api-version (e.g. 2024-10-21). */
    apiVersion: z.string().trim().min(1).max(40).nullable().optional(),
    fallbackModels: z.array(z.string().trim().min(1).max(200)).max(5).optional(),
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
  revokePrevious: z.boolean().default(false),
});
