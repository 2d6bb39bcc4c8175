/**
 * The OpenAI-compatible gateway, alert webhooks' reach, and the OpenAI client that writes incident
 * RCAs. Part of the environment schema (env.ts).
 */
import { z } from 'zod';
import { booleanish } from './envFields.js';

export const gatewayFields = {
  /** POST /v1/chat/completions on its direct path (src/routes/gatewayFastPath.ts); false = through Express. */
  GATEWAY_FAST_PATH: booleanish.default(true),
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
};
