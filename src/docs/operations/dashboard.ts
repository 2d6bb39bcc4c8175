/**
 * What the dashboard reads and changes with a user's JWT: logs, metrics, incidents, settings,
 * onboarding, feedback, billing and feature flags. (operations.ts merges the groups.)
 */
import type { OperationDoc } from '../operationDoc.js';
import { v1 } from './v1.js';

/** 502: Stripe failed a call; 503: the server has no Stripe (self-hosted). */
const billingErrors: OperationDoc['errors'] = [502, 503];

export const DASHBOARD_OPERATIONS: Record<string, OperationDoc> = {
  [v1('GET', '/feedback')]: {
    summary: 'My product feedback, with the status admins gave it',
    success: { status: 200, body: 'ProductFeedbackList' },
  },

  [v1('GET', '/onboarding')]: {
    summary: "The signed-in user's setup guide: steps, progress, dismissed",
    description:
      'Steps (`create_project`, `create_api_key`, `first_request`, `review_threshold`, `alert_webhook`, ' +
      '`first_incident`, `choose_plan`) are derived from real data; each open step has a `next` with curl and ' +
      'openai SDK examples filled in with the first project id and key prefix (never the secret).',
    success: { status: 200, body: 'json' },
  },

  [v1('POST', '/onboarding/dismiss')]: { summary: 'Hide the setup guide', success: { status: 204, body: 'empty' } },

  [v1('POST', '/onboarding/alerts/test')]: {
    summary: "Send a signed test alert to the project's webhook",
    description: '409 when the project has no alert webhook. The answer says whether it was delivered.',
    success: { status: 200, body: 'json' },
    errors: [409],
  },

  [v1('GET', '/logs')]: {
    summary: "Search a project's requests",
    description: '`q` is full-text over prompt and response; prompts and responses are cut to 500 characters.',
    success: { status: 200, body: 'LogList' },
  },

  [v1('GET', '/logs/{id}')]: {
    summary: 'Get one request with its whole prompt and response',
    success: { status: 200, body: 'LogResponse' },
  },

  [v1('GET', '/metrics')]: {
    summary: 'Dashboard metrics: summary, per model and a time series',
    description: 'Default range: the last 7 days; hourly up to 7 days, daily beyond (at most 31 days hourly).',
    success: { status: 200, body: 'MetricsResponse' },
  },

  [v1('GET', '/metrics/usage')]: {
    summary: 'Usage: top end users and endpoints, risk levels, daily totals',
    success: { status: 200, body: 'json' },
  },

  [v1('GET', '/incidents')]: { summary: "List a project's incidents", success: { status: 200, body: 'IncidentList' } },

  [v1('GET', '/incidents/{id}')]: {
    summary: 'Get an incident with its RCA, related requests and remediations',
    success: { status: 200, body: 'IncidentDetailResponse' },
  },

  [v1('POST', '/incidents/{id}/resolve')]: {
    summary: 'Resolve an incident',
    success: { status: 200, body: 'IncidentResponse' },
    errors: [409],
  },

  [v1('POST', '/incidents/{id}/rca')]: {
    summary: 'Regenerate the root-cause analysis',
    success: { status: 200, body: 'IncidentResponse' },
  },

  [v1('POST', '/incidents/{id}/apply-remediation')]: {
    summary: 'Apply a remediation to the project of an incident',
    success: { status: 201, body: 'RemediationResponse' },
  },

  [v1('GET', '/incidents/{id}/remediations')]: {
    summary: "List an incident's remediations",
    success: { status: 200, body: 'RemediationList' },
  },

  [v1('POST', '/incidents/{id}/remediations/{rid}/revert')]: {
    summary: 'Revert a remediation',
    success: { status: 200, body: 'RemediationResponse' },
    errors: [409],
  },

  [v1('GET', '/incidents/{id}/alerts')]: {
    summary: 'List the alert deliveries of an incident',
    success: { status: 200, body: 'json' },
  },

  [v1('GET', '/settings/profile')]: { summary: 'Get my profile', success: { status: 200, body: 'ProfileResponse' } },

  [v1('POST', '/settings/profile')]: {
    summary: 'Update my profile (email and password need the current password)',
    success: { status: 200, body: 'ProfileResponse' },
    errors: [409],
  },

  [v1('GET', '/settings/project')]: {
    summary: 'Get project settings',
    success: { status: 200, body: 'ProjectResponse' },
  },

  [v1('POST', '/settings/project')]: {
    summary: 'Update project settings',
    success: { status: 200, body: 'ProjectResponse' },
  },

  [v1('GET', '/settings/api-keys')]: {
    summary: "List a project's API keys",
    success: { status: 200, body: 'ApiKeyList' },
  },

  [v1('GET', '/settings/model-settings')]: {
    summary: 'Get model settings (allowed models, fallback, prices)',
    success: { status: 200, body: 'json' },
  },

  [v1('POST', '/settings/model-settings')]: {
    summary: 'Update model settings',
    success: { status: 200, body: 'json' },
  },

  [v1('POST', '/billing/checkout')]: {
    summary: 'Start a Stripe Checkout for a paid plan',
    success: { status: 200, body: 'CheckoutResponse' },
    errors: [409, ...billingErrors],
  },

  [v1('POST', '/billing/portal')]: {
    summary: 'Open the Stripe customer portal',
    success: { status: 200, body: 'PortalResponse' },
    errors: billingErrors,
  },

  [v1('GET', '/billing/invoices')]: {
    summary: 'List my invoices (an empty list on a self-hosted server)',
    success: { status: 200, body: 'InvoiceList' },
  },

  [v1('GET', '/billing/subscription')]: {
    summary: 'My plan, its limits, subscription status and usage (self-hosted too)',
    success: { status: 200, body: 'SubscriptionResponse' },
  },

  [v1('GET', '/flags')]: {
    summary: "The signed-in user's feature flags, evaluated",
    description:
      'With `projectId` (one of your projects), the project allow and deny lists apply too. Archived and ' +
      'disabled flags are listed as off; a flag that does not exist is absent (the client decides its default).',
    success: { status: 200, body: 'EvaluatedFlags' },
    errors: [404],
  },
};
