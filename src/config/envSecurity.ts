/**
 * Tokens, keys, secrets at rest, rate limits, IP blocks and the audit log. Part of the environment
 * schema (env.ts).
 */
import { z } from 'zod';
import { jwtKeyRing, keyRing } from './envFields.js';

/** Development defaults of the secrets; production refuses them (env.ts). */
export const DEV_SECRET = 'dev-only-insecure-secret-change-me-0123456789';
export const DEV_ENCRYPTION_KEY = 'ZGV2LW9ubHktaW5zZWN1cmUta2V5LWNoYW5nZS1tZSE='; // 32 bytes, base64

export const securityFields = {
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
};
