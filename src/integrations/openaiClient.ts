/**
 * The OpenAI SDK client used for incident RCAs, built from the environment. No key means no
 * client (null): RCAs are then the deterministic fallback and nothing leaves the process.
 * Tests build one pointing at a local server that speaks the Chat Completions API.
 */
import OpenAI from 'openai';
import { env as defaultEnv, type Env } from '../config/env.js';

export interface OpenAIClientOptions {
  apiKey: string;
  /** OpenAI's own API when unset. */
  baseURL?: string;
  /** Per attempt. */
  timeoutMs: number;
  maxRetries: number;
}

export function createOpenAIClient(options: OpenAIClientOptions): OpenAI {
  return new OpenAI({
    apiKey: options.apiKey,
    baseURL: options.baseURL,
    timeout: options.timeoutMs,
    maxRetries: options.maxRetries,
  });
}

/** The client the environment describes, or null without OPENAI_API_KEY. */
export function openaiClientFromEnv(env: Env = defaultEnv): OpenAI | null {
  if (!env.OPENAI_API_KEY) return null;
  return createOpenAIClient({
    apiKey: env.OPENAI_API_KEY,
    baseURL: env.OPENAI_BASE_URL,
    timeoutMs: env.OPENAI_TIMEOUT_MS,
    maxRetries: env.OPENAI_MAX_RETRIES,
  });
}

let processClient: OpenAI | null | undefined;

/** One shared client per process (the SDK keeps its connection pool), created on first use. */
export function defaultOpenAIClient(): OpenAI | null {
  if (processClient === undefined) processClient = openaiClientFromEnv();
  return processClient;
}
