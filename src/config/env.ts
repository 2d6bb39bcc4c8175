/**
 * The whole environment, validated once. Nothing else in src/ reads process.env.
 * Defaults depend on NODE_ENV; production refuses the development defaults, the shipped
 * placeholders and weak values for secrets. The fields are grouped by area, one module each:
 * envServer (process, HTTP, PostgreSQL, Redis, logs), envSecurity, envIngest, envBilling,
 * envGateway (gateway, alert webhooks, the RCA client) and envOperations (incidents, metrics,
 * cron, backups); their field types are in envFields.
 */
import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { config as loadDotenv } from 'dotenv';
import { z } from 'zod';
import { billingFields } from './envBilling.js';
import { gatewayFields } from './envGateway.js';
import { ingestFields } from './envIngest.js';
import { operationsFields } from './envOperations.js';
import { DEV_ENCRYPTION_KEY, DEV_SECRET, securityFields } from './envSecurity.js';
import { serverFields } from './envServer.js';
import { placeholderProblem, secretProblem } from './secretPolicy.js';

export const envSchema = z.object({
  ...serverFields,
  ...securityFields,
  ...ingestFields,
  ...billingFields,
  ...gatewayFields,
  ...operationsFields,
});

export type Env = z.infer<typeof envSchema>;

export class EnvError extends Error {}

/**
 * `<NAME>_FILE=/path` sets NAME to the file's content (one trailing newline dropped), as Docker
 * and Kubernetes secrets are mounted. NAME itself wins when both are set; an unreadable file is
 * an error naming the variable (never the content).
 */
export function resolveFileVariables(raw: Record<string, string | undefined>): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [key, value] of Object.entries(raw)) if (value !== undefined && value !== '') out[key] = value;
  const errors: string[] = [];
  for (const [key, file] of Object.entries(out)) {
    if (!key.endsWith('_FILE')) continue;
    const name = key.slice(0, -'_FILE'.length);
    if (!(name in envSchema.shape) || out[name] !== undefined) continue;
    try {
      out[name] = readFileSync(file, 'utf8').replace(/\r?\n$/, '');
    } catch (err) {
      errors.push(`  ${key}: cannot read ${file} (${(err as NodeJS.ErrnoException).code ?? 'error'})`);
    }
    delete out[key];
  }
  if (errors.length > 0) throw new EnvError(`Invalid environment:\n${errors.join('\n')}`);
  return out;
}

/** Validates a raw environment; throws EnvError naming each bad variable. */
export function parseEnv(raw: Record<string, string | undefined>): Env {
  const cleaned = resolveFileVariables(raw);
  const result = envSchema.safeParse(cleaned);
  if (!result.success) {
    const lines = result.error.issues.map((i) => `  ${i.path.join('.')}: ${i.message}`);
    throw new EnvError(`Invalid environment:\n${lines.join('\n')}`);
  }
  const env = result.data;
  if (env.NODE_ENV === 'production') {
    const problems = productionSecretProblems(env);
    if (problems.length > 0) throw new EnvError(`Invalid environment:\n${problems.join('\n')}`);
  }
  return env;
}

/**
 * Production refuses the development defaults, every placeholder the repository ships and, for
 * the secrets we generate ourselves, anything under 32 bytes of estimated entropy
 * (config/secretPolicy.ts). Credentials issued by others (Stripe, OpenAI, S3, database and
 * Redis URLs) are only checked for placeholders. Messages name the variable, never the value.
 */
function productionSecretProblems(env: Env): string[] {
  const problems: string[] = [];
  const check = (name: string, value: string | undefined, problem: (v: string) => string | null) => {
    const why = value === undefined ? null : problem(value);
    if (why) problems.push(`  ${name}: ${why}`);
  };
  const devDefault = 'the development default may not be used in production';
  const ours = (devValue: string) => (v: string) => (v === devValue ? devDefault : secretProblem(v));
  for (const k of env.JWT_SECRETS) check(`JWT_SECRETS (${k.kid})`, k.secret, ours(DEV_SECRET));
  check('API_KEY_PEPPER', env.API_KEY_PEPPER, ours(DEV_SECRET));
  for (const k of env.ENCRYPTION_KEYS) {
    check(`ENCRYPTION_KEYS (${k.version})`, k.key.toString('base64'), ours(DEV_ENCRYPTION_KEY));
  }
  for (const k of env.BACKUP_ENCRYPTION_KEY ?? []) {
    check(`BACKUP_ENCRYPTION_KEY (${k.version})`, k.key.toString('base64'), ours(DEV_ENCRYPTION_KEY));
  }
  check('METRICS_TOKEN', env.METRICS_TOKEN, secretProblem);
  for (const name of [
    'DATABASE_URL',
    'DATABASE_READ_URL',
    'REDIS_URL',
    'STRIPE_SECRET_KEY',
    'STRIPE_WEBHOOK_SECRET',
    'OPENAI_API_KEY',
    'BACKUP_S3_SECRET_ACCESS_KEY',
  ] as const) {
    check(name, env[name], placeholderProblem);
  }
  return problems;
}

/** Loads .env.<NODE_ENV> then .env (neither overrides real variables). */
function loadEnvFiles(): void {
  const nodeEnv = process.env.NODE_ENV ?? 'development';
  for (const file of [`.env.${nodeEnv}.local`, `.env.${nodeEnv}`, '.env']) {
    const full = path.resolve(file);
    if (existsSync(full)) loadDotenv({ path: full, quiet: true });
  }
}

loadEnvFiles();

export const env: Env = (() => {
  try {
    return parseEnv(process.env);
  } catch (err) {
    if (err instanceof EnvError) {
      console.error(err.message);
      process.exit(1);
    }
    throw err;
  }
})();

export const isProduction = env.NODE_ENV === 'production';
export const isTest = env.NODE_ENV === 'test';
