import { z } from 'zod';
import { pageQuery } from './common.js';
import { GuardMode, PiiMode } from '../types/vocabulary.js';
const modelName = z.string().trim().min(1).max(200);
const price = z.strictObject({
  inputPerMTok: z.number().min(0).max(10_000),
  outputPerMTok: z.number().min(0).max(10_000),
});

/**
 * The fields of a config version. Every one is optional (a change names only what it changes)
 * and nullable where "unset" makes sense (null clears it). A new per-call setting is one line
 * here (see domain/config/modelConfig.ts for where it is stored).
 */
export const modelConfigFields = z.strictObject({
  /** forces the model of every call; null = the model the caller names */
  model: modelName.nullable().optional(),
  defaultModel: modelName.nullable().optional(),
  systemPrompt: z.string().max(20_000).nullable().optional(),
  safetyThreshold: z.number().int().min(0).max(100).optional(),
  piiMode: z.enum(PiiMode).optional(),
  /** the guard: enforce blocks, monitor only scores and flags */
  guardMode: z.enum(GuardMode).optional(),
  temperature: z.number().min(0).max(2).nullable().optional(),
  maxTokens: z.number().int().min(1).max(1_000_000).nullable().optional(),
  allowedModels: z.array(modelName).max(200).nullable().optional(),
  fallbackModel: modelName.nullable().optional(),
  /** the gateway's fallback chain, tried in order */
  fallbackModels: z.array(modelName).max(20).nullable().optional(),
  priceOverrides: z.record(modelName, price).nullable().optional(),
  /** "from -> to" model rewrites */
  modelRoutes: z.record(modelName, modelName).nullable().optional(),
});

export const configVersionParams = z.object({
  id: z.string().min(1).max(64),
  n: z.coerce.number().int().min(1).max(1_000_000),
});

export const createConfigVersionBody = z.strictObject({
  config: modelConfigFields,
  message: z.string().trim().max(500).optional(),
  /** activate at once (default: the version is created inactive) */
  activate: z.boolean().optional(),
});

export const configVersionListQuery = pageQuery;

export const configSplitBody = z.strictObject({
  arms: z
    .array(z.strictObject({ version: z.number().int().min(1), weight: z.number().int().min(0).max(10_000) }))
    .min(2)
    .max(10)
    .refine((arms) => new Set(arms.map((a) => a.version)).size === arms.length, {
      message: 'each version may appear in one arm only',
    })
    .refine((arms) => arms.some((a) => a.weight > 0), { message: 'at least one arm needs a weight above 0' }),
});

export const promoteBody = z.strictObject({ version: z.number().int().min(1) });

export type ModelConfigInput = z.infer<typeof modelConfigFields>;
export type CreateConfigVersionInput = z.infer<typeof createConfigVersionBody>;
export type ConfigSplitInput = z.infer<typeof configSplitBody>;
