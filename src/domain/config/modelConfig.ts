/**
 * What shapes a project's calls, as one flat object: the content of a config version. Pure.
 *
 * A few fields are project columns (COLUMN_FIELDS: the settings endpoints and every reader of
 * the project row see them); every other field lives in the project's `modelSettings` JSON, so a
 * new per-call setting (the guard's `guardMode`, the gateway's `fallbackModels`, ...) is one
 * entry in the validator and is versioned, diffed, split and rolled back with no other change.
 */
import { createHash } from 'node:crypto';

export type ConfigValue = string | number | boolean | null | string[] | Record<string, unknown>;

/** A config snapshot: known fields (validators/configVersionValidators.ts) plus any added later. */
export type ModelConfig = Record<string, ConfigValue | undefined> & {
  /** forces the model of every call (null: the model the caller names) */
  model?: string | null;
  defaultModel?: string | null;
  systemPrompt?: string | null;
  safetyThreshold?: number;
  piiMode?: 'off' | 'redact' | 'block';
  /** "from -> to" model rewrites (a switch_model remediation limited to one model) */
  modelRoutes?: Record<string, string> | null;
};

/** Config fields stored as project columns (name in the config = column name). */
export const COLUMN_FIELDS = ['defaultModel', 'systemPrompt', 'safetyThreshold', 'piiMode'] as const;
type ColumnField = (typeof COLUMN_FIELDS)[number];
const isColumn = (k: string): k is ColumnField => (COLUMN_FIELDS as readonly string[]).includes(k);

/** Risk score at which a call is blocked unless the project sets its own (the schema's column default). */
export const DEFAULT_SAFETY_THRESHOLD = 80;

/** The settings a `reset_settings` remediation returns to. */
export const DEFAULT_CONFIG: ModelConfig = {
  model: null,
  defaultModel: null,
  systemPrompt: null,
  safetyThreshold: DEFAULT_SAFETY_THRESHOLD,
  piiMode: 'off',
};

export interface ProjectConfigColumns {
  defaultModel: string | null;
  systemPrompt: string | null;
  safetyThreshold: number;
  piiMode: 'off' | 'redact' | 'block';
  modelSettings: Record<string, unknown>;
}

/** The config a project row holds now (its columns plus its model settings). */
export function configFromProject(p: ProjectConfigColumns): ModelConfig {
  return {
    ...(p.modelSettings as ModelConfig),
    defaultModel: p.defaultModel,
    systemPrompt: p.systemPrompt,
    safetyThreshold: p.safetyThreshold,
    piiMode: p.piiMode,
  };
}

/** The project columns that make `config` the project's current config (inverse of configFromProject). */
export function projectColumns(config: ModelConfig): ProjectConfigColumns {
  const modelSettings: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(config)) if (!isColumn(k) && v !== undefined) modelSettings[k] = v;
  return {
    defaultModel: config.defaultModel ?? null,
    systemPrompt: config.systemPrompt ?? null,
    safetyThreshold: config.safetyThreshold ?? (DEFAULT_CONFIG.safetyThreshold as number),
    piiMode: config.piiMode ?? 'off',
    modelSettings,
  };
}

/** `base` with `change` applied: a field set to null is cleared, an absent one is kept. */
export function mergeConfig(base: ModelConfig, change: Partial<ModelConfig>): ModelConfig {
  const out: ModelConfig = { ...base };
  for (const [k, v] of Object.entries(change)) if (v !== undefined) out[k] = v;
  return out;
}

export interface ConfigChange {
  field: string;
  from: ConfigValue;
  to: ConfigValue;
}

/** Stable JSON (sorted keys), so equal objects compare equal whatever their key order. */
function canonical(v: unknown): string {
  if (Array.isArray(v)) return `[${v.map(canonical).join(',')}]`;
  if (v !== null && typeof v === 'object') {
    const entries = Object.entries(v as Record<string, unknown>).filter(([, x]) => x !== undefined);
    entries.sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
    return `{${entries.map(([k, x]) => `${JSON.stringify(k)}:${canonical(x)}`).join(',')}}`;
  }
  return JSON.stringify(v ?? null);
}

/** The fields that differ between two configs (absent and null count as the same), by name. */
export function diffConfig(previous: ModelConfig | null, next: ModelConfig): ConfigChange[] {
  const before = previous ?? {};
  const fields = [...new Set([...Object.keys(before), ...Object.keys(next)])].sort();
  const changes: ConfigChange[] = [];
  for (const field of fields) {
    const from = (before[field] ?? null) as ConfigValue;
    const to = (next[field] ?? null) as ConfigValue;
    if (canonical(from) !== canonical(to)) changes.push({ field, from, to });
  }
  return changes;
}

export interface SplitArm {
  version: number;
  weight: number;
}

/**
 * The arm a caller gets: a stable hash of (salt, key) placed on the cumulative weights, so the
 * same key always lands on the same arm, and moving weight from one arm to the next (90/10 ->
 * 50/50) only moves the users on the boundary.
 */
export function pickArm<T extends { weight: number }>(arms: readonly T[], key: string, salt: string): T {
  const total = arms.reduce((s, a) => s + a.weight, 0);
  const point = bucket(`${salt}:${key}`) * total;
  let acc = 0;
  for (const arm of arms) {
    acc += arm.weight;
    if (point < acc) return arm;
  }
  return arms[arms.length - 1]!;
}

/** A uniform number in [0, 1) from the first 48 bits of SHA-256 of `text`. */
export function bucket(text: string): number {
  const digest = createHash('sha256').update(text).digest();
  return digest.readUIntBE(0, 6) / 2 ** 48;
}
