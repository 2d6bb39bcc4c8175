import { z } from 'zod';
import { pageQuery } from './common.js';
import { GuardMode, PiiMode } from '../types/vocabulary.js';
import { MODEL_SETTING_FIELDS, price, PROJECT_FIELDS } from './projectValidators.js';

const modelName = z.string().trim().min(1).max(200);

/**
 * The fields of a config version. Every one is optional (a change names only what it changes)
 * and nullable where "unset" makes sense (null clears it). A new per-call setting is one line
 * here (see domain/config/modelConfig.ts for where it is stored).
 */
export const modelConfigFields = z.strictObject({
  /** forces the model of every call; null = the model the caller names */
  model: modelName
    .nullable()
    .optional()
    .describe('Forces the model of every call (`effectiveModel`); null: the model the caller names.'),
  defaultModel: modelName.nullable().optional().describe(PROJECT_FIELDS.defaultModel),
  systemPrompt: z.string().max(20_000).nullable().optional().describe(PROJECT_FIELDS.systemPrompt),
  safetyThreshold: z.number().int().min(0).max(100).optional().describe(PROJECT_FIELDS.safetyThreshold),
  piiMode: z.enum(PiiMode).optional().describe(PROJECT_FIELDS.piiMode),
  /** the guard: enforce blocks, monitor only scores and flags */
  guardMode: z.enum(GuardMode).optional().describe(PROJECT_FIELDS.guardMode),
  temperature: z
    .number()
    .min(0)
    .max(2)
    .nullable()
    .optional()
    .describe(
      'Sampling temperature the gateway sends upstream when a chat request sets none (calls reported to /llm/request are not changed).',
    ),
  maxTokens: z
    .number()
    .int()
    .min(1)
    .max(1_000_000)
    .nullable()
    .optional()
    .describe(
      'Most output tokens: the gateway sends it upstream as `max_tokens` when a chat request sets neither `max_tokens` nor `max_completion_tokens`.',
    ),
  allowedModels: z.array(modelName).max(200).nullable().optional().describe(MODEL_SETTING_FIELDS.allowedModels),
  fallbackModel: modelName.nullable().optional().describe(MODEL_SETTING_FIELDS.fallbackModel),
  /** the gateway's fallback chain, tried in order */
  fallbackModels: z
    .array(modelName)
    .max(20)
    .nullable()
    .optional()
    .describe(
      "The gateway's fallback chain, in order: tried after the effective model fails (5xx, 429, timeout, connection), before the provider's own `fallbackModels` and the x-llmguard-fallback-models header.",
    ),
  priceOverrides: z.record(modelName, price).nullable().optional().describe(MODEL_SETTING_FIELDS.priceOverrides),
  /** "from -> to" model rewrites */
  modelRoutes: z
    .record(modelName, modelName)
    .nullable()
    .optional()
    .describe('Model rewrites `{ "asked-for": "served" }`: a call for a listed model is served by the other.'),
});

export const configVersionParams = z.object({
  id: z.string().min(1).max(64),
  n: z.coerce.number().int().min(1).max(1_000_000),
});

export const createConfigVersionBody = z.strictObject({
  config: modelConfigFields.describe('What changes: the fields named here, applied over the active version.'),
  message: z.string().trim().max(500).optional().describe('Why, like a commit message.'),
  /** activate at once (default: the version is created inactive) */
  activate: z.boolean().optional().describe('Activate it at once (default: the version is created inactive).'),
});

export const configVersionListQuery = pageQuery;

export const configSplitBody = z.strictObject({
  arms: z
    .array(
      z.strictObject({
        version: z.number().int().min(1).describe('The config version this arm runs.'),
        weight: z.number().int().min(0).max(10_000).describe('Relative share of end users who get it.'),
      }),
    )
    .min(2)
    .max(10)
    .refine((arms) => new Set(arms.map((a) => a.version)).size === arms.length, {
      message: 'each version may appear in one arm only',
    })
    .refine((arms) => arms.some((a) => a.weight > 0), { message: 'at least one arm needs a weight above 0' })
    .describe(
      '2-10 arms, each a version and a weight; an end user stays in one arm (sticky by `userId`, else by the prompt).',
    ),
});

export const promoteBody = z.strictObject({
  version: z.number().int().min(1).describe('The arm whose version becomes the active config (the split ends).'),
});

export type ModelConfigInput = z.infer<typeof modelConfigFields>;
export type CreateConfigVersionInput = z.infer<typeof createConfigVersionBody>;
export type ConfigSplitInput = z.infer<typeof configSplitBody>;
