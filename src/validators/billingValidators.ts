import { z } from 'zod';
import { Plan } from '../types/vocabulary.js';

const plan = z.enum(Plan);
const isoString = z.iso.datetime({ offset: true });

/** Only paid plans are bought; free is what you get without a subscription. */
export const checkoutBody = z.strictObject({ plan: z.enum(['pro', 'enterprise']) });
export type CheckoutBody = z.infer<typeof checkoutBody>;

/** `invoiceId`: our invoice id or Stripe's (in_...); `amount` in the smallest currency unit, default all that is left. */
export const refundBody = z.strictObject({
  invoiceId: z.string().trim().min(1).max(255),
  amount: z.number().int().min(1).optional(),
});
export type RefundBody = z.infer<typeof refundBody>;

export const checkoutResponse = z.object({ url: z.url(), sessionId: z.string().min(1) });
export const portalResponse = z.object({ url: z.url() });

export const invoiceResponse = z.object({
  id: z.string(),
  stripeInvoiceId: z.string(),
  number: z.string().nullable(),
  status: z.string(),
  currency: z.string(),
  amountDue: z.number().int(),
  amountPaid: z.number().int(),
  amountRefunded: z.number().int(),
  hostedInvoiceUrl: z.string().nullable(),
  periodStart: isoString.nullable(),
  periodEnd: isoString.nullable(),
  createdAt: isoString,
});

export const invoiceListResponse = z.object({
  data: z.array(invoiceResponse),
  page: z.number().int(),
  limit: z.number().int(),
  total: z.number().int(),
});

/** A limit; null means none (self-hosted `unlimited`). */
const limit = z.number().int().nullable();

export const subscriptionResponse = z.object({
  /** `self-hosted`: no Stripe; every account has the configured plan (docs/BILLING.md) */
  mode: z.enum(['stripe', 'self-hosted']),
  plan: z.enum(['free', 'pro', 'enterprise', 'unlimited']),
  planName: z.string(),
  status: z.string(),
  currentPeriodEnd: isoString.nullable(),
  cancelAtPeriodEnd: z.boolean(),
  pendingPlan: plan.nullable(),
  limits: z.object({ requestsPerPeriod: limit, projects: limit, logRetentionDays: limit }),
  usage: z.object({
    requests: z.number().int().min(0),
    limit,
    projects: z.number().int().min(0),
    projectLimit: limit,
    periodStart: isoString,
    resetAt: isoString,
  }),
});

export const refundResponse = z.object({
  refund: z.object({
    id: z.string(),
    invoiceId: z.string(),
    amount: z.number().int(),
    currency: z.string(),
    status: z.string().nullable(),
  }),
});

export const webhookResponse = z.object({ received: z.literal(true), duplicate: z.boolean() });
