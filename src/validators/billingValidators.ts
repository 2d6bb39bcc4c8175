import { z } from 'zod';
import { Plan } from '../types/vocabulary.js';

const plan = z.enum(Plan);
const isoString = z.iso.datetime({ offset: true });

/** Only paid plans are bought; free is what you get without a subscription. */
export const checkoutBody = z.strictObject({
  plan: z.enum(['pro', 'enterprise']).describe('The paid plan to subscribe to.'),
});
export type CheckoutBody = z.infer<typeof checkoutBody>;

/** `invoiceId`: our invoice id or Stripe's (in_...); `amount` in the smallest currency unit, default all that is left. */
export const refundBody = z.strictObject({
  invoiceId: z.string().trim().min(1).max(255).describe("The invoice: our invoice id or Stripe's (`in_...`)."),
  amount: z
    .number()
    .int()
    .min(1)
    .optional()
    .describe('Amount to refund in the smallest currency unit (cents); default: all that is left to refund.'),
});
export type RefundBody = z.infer<typeof refundBody>;

export const checkoutResponse = z.object({
  url: z.url().describe('The Stripe Checkout page to send the user to.'),
  sessionId: z.string().min(1).describe('Id of the Stripe Checkout Session.'),
});
export const portalResponse = z.object({
  url: z.url().describe('The Stripe customer portal (card, plan change, cancel, invoices) to send the user to.'),
});

export const invoiceResponse = z.object({
  id: z.string().describe('Our id of the invoice.'),
  stripeInvoiceId: z.string().describe("Stripe's id of the invoice (`in_...`)."),
  number: z
    .string()
    .nullable()
    .describe('The invoice number Stripe gave it (null until Stripe finalises the invoice).'),
  status: z.string().describe("Stripe's invoice status, e.g. `paid`, `open`, `void`."),
  currency: z.string().describe('Three-letter ISO currency code, lower case (e.g. `eur`).'),
  amountDue: z.number().int().describe('Amount due, in the smallest currency unit (cents).'),
  amountPaid: z.number().int().describe('Amount paid, in the smallest currency unit.'),
  amountRefunded: z.number().int().describe('Amount refunded so far, in the smallest currency unit.'),
  hostedInvoiceUrl: z.string().nullable().describe("Stripe's page to view and pay the invoice."),
  periodStart: isoString.nullable().describe('Start of the billed period.'),
  periodEnd: isoString.nullable().describe('End of the billed period.'),
  createdAt: isoString.describe('When the invoice was created.'),
});

export const invoiceListResponse = z.object({
  data: z.array(invoiceResponse).describe("The user's invoices on this page, newest first."),
  page: z.number().int().describe('Page number, from 1.'),
  limit: z.number().int().describe('Rows per page.'),
  total: z.number().int().describe('Invoices in all pages.'),
});

/** A limit; null means none (self-hosted `unlimited`). */
const limit = z.number().int().nullable();

export const subscriptionResponse = z.object({
  /** `self-hosted`: no Stripe; every account has the configured plan (docs/BILLING.md) */
  mode: z
    .enum(['stripe', 'self-hosted'])
    .describe('`self-hosted`: no Stripe, every account has the plan the server is configured with.'),
  plan: z.enum(['free', 'pro', 'enterprise', 'unlimited']).describe('The plan that applies now.'),
  planName: z.string().describe('Its display name.'),
  status: z.string().describe("Stripe's subscription status (`active` without a subscription or self-hosted)."),
  currentPeriodEnd: isoString.nullable().describe('End of the paid-for Stripe period (null without one).'),
  cancelAtPeriodEnd: z.boolean().describe('Whether the subscription ends at the end of the period.'),
  pendingPlan: plan.nullable().describe('A downgrade that applies when the paid-for period ends (null: none).'),
  limits: z
    .object({
      requestsPerPeriod: limit.describe('Calls that may be reported per billing period (null: no limit).'),
      projects: limit.describe('Projects the user may own (null: no limit).'),
      logRetentionDays: limit.describe('Days stored calls are kept (null: no limit).'),
    })
    .describe("The plan's limits."),
  usage: z
    .object({
      requests: z.number().int().min(0).describe('Calls counted in the current period.'),
      limit: limit.describe('Calls allowed in the period (null: no limit).'),
      projects: z.number().int().min(0).describe('Projects the user owns now.'),
      projectLimit: limit.describe('Projects allowed (null: no limit).'),
      periodStart: isoString.describe('Start of the current period.'),
      resetAt: isoString.describe('When the period ends and the request count starts again.'),
    })
    .describe('Usage of the current period against the limits.'),
});

export const refundResponse = z.object({
  refund: z
    .object({
      id: z.string().describe("Stripe's id of the refund (`re_...`)."),
      invoiceId: z.string().describe('Our id of the refunded invoice.'),
      amount: z.number().int().describe('Amount refunded, in the smallest currency unit.'),
      currency: z.string().describe('Three-letter ISO currency code, lower case.'),
      status: z
        .string()
        .nullable()
        .describe(
          "Stripe's refund status, e.g. `pending` or `succeeded`; the invoice row changes when Stripe confirms.",
        ),
    })
    .describe('The refund Stripe created.'),
});

export const webhookResponse = z.object({
  received: z.literal(true).describe('The event was accepted.'),
  duplicate: z.boolean().describe('The event had been processed before (Stripe retried it); nothing changed.'),
});
