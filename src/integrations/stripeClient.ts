/**
 * The Stripe SDK client and everything billing needs to know about the environment, as one
 * injectable value: the app builds it from env by default, tests pass one that points at a
 * local fake Stripe server (or one without a client to see the 503s).
 */
import Stripe from 'stripe';
import { env as defaultEnv, type Env } from '../config/env.js';
import { PLANS, selfHostedPlanFromEnv, type PlanConfig } from '../config/plans.js';
import { AppError } from '../utils/AppError.js';

export interface BillingConfig extends PlanConfig {
  /**
   * null: Stripe is not configured. The server is then self-hosted (`selfHosted` holds the plan
   * every account gets); checkout, portal and refunds answer 503.
   */
  stripe: Stripe | null;
  /** Signing secret of the webhook endpoint; null refuses webhooks with 503. */
  webhookSecret: string | null;
  /** Seconds a webhook signature stays acceptable (replay window); Stripe's default is 300. */
  webhookToleranceSeconds: number;
  successUrl: string;
  cancelUrl: string;
  portalReturnUrl: string;
}

export interface StripeClientOptions {
  secretKey: string;
  host?: string;
  port?: number;
  protocol?: 'http' | 'https';
  maxNetworkRetries?: number;
}

/** An SDK client; host/port/protocol only differ from Stripe's when a fake answers for it. */
export function createStripeClient(options: StripeClientOptions): Stripe {
  return new Stripe(options.secretKey, {
    host: options.host,
    port: options.port,
    protocol: options.protocol,
    // The SDK retries connection errors and 5xx with the same idempotency key.
    maxNetworkRetries: options.maxNetworkRetries ?? 2,
    timeout: 15_000,
    telemetry: false,
    appInfo: { name: 'llmguard-cloud' },
  });
}

/** Billing configuration from the environment (the default of createApp). */
export function billingConfigFromEnv(env: Env = defaultEnv, overrides: Partial<BillingConfig> = {}): BillingConfig {
  const stripe =
    overrides.stripe !== undefined
      ? overrides.stripe
      : env.STRIPE_SECRET_KEY
        ? createStripeClient({
            secretKey: env.STRIPE_SECRET_KEY,
            host: env.STRIPE_API_HOST,
            port: env.STRIPE_API_PORT,
            protocol: env.STRIPE_API_PROTOCOL,
          })
        : null;
  return {
    stripe,
    webhookSecret: env.STRIPE_WEBHOOK_SECRET ?? null,
    webhookToleranceSeconds: 300,
    successUrl: env.BILLING_SUCCESS_URL,
    cancelUrl: env.BILLING_CANCEL_URL,
    portalReturnUrl: env.BILLING_PORTAL_RETURN_URL,
    pastDueGraceDays: env.BILLING_PAST_DUE_GRACE_DAYS,
    plans: PLANS,
    selfHosted: stripe ? null : selfHostedPlanFromEnv(env),
    ...overrides,
  };
}

/** The SDK client, or 503 BILLING_NOT_CONFIGURED. */
export function requireStripe(config: BillingConfig): Stripe {
  if (!config.stripe) throw new AppError('BILLING_NOT_CONFIGURED', 'Billing is not configured on this server');
  return config.stripe;
}

/**
 * Runs one Stripe call; SDK failures (network, Stripe 4xx/5xx) become 502 PAYMENT_PROVIDER_ERROR
 * so the caller sees a stable error and the details stay in the log.
 */
export async function stripeCall<T>(what: string, fn: () => Promise<T>): Promise<T> {
  try {
    return await fn();
  } catch (err) {
    if (err instanceof Stripe.errors.StripeError) {
      throw new AppError('PAYMENT_PROVIDER_ERROR', `The payment provider refused or failed to ${what}`, {
        cause: err,
      });
    }
    throw err;
  }
}

/** The id of an expandable Stripe field (string or object). */
export function stripeId(value: string | { id: string } | null | undefined): string | null {
  if (value == null) return null;
  return typeof value === 'string' ? value : value.id;
}
