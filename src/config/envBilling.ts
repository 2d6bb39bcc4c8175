/**
 * Billing: Stripe, or the self-hosted limits without it. Part of the environment schema (env.ts).
 */
import { z } from 'zod';
import { port } from './envFields.js';

export const billingFields = {
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
};
