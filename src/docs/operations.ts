/**
 * What the router stack cannot tell: a summary per operation, its success status and body, the
 * errors beyond the ones every route of its kind can return, and who may call it. A route
 * missing from OPERATIONS is still documented (summary from its handler's name, a generic
 * 2XX); an entry without a route fails tests/integration/openapi.test.ts.
 */
import type { z } from 'zod';
import { API_PREFIX } from '../config/constants.js';
import { datadogBody } from '../validators/incidentValidators.js';
import type { ResponseName } from './responses.js';

/** `admin`: a JWT of a user with the admin role (403 otherwise); `metricsToken`: a bearer token when the server has one. */
export type Auth = 'none' | 'bearer' | 'admin' | 'apiKey' | 'apiKeyOrBearer' | 'metricsToken';

/** First matching prefix wins; a new /api/v1 router is dashboard (JWT) unless listed above it. */
export const AUTH_RULES: readonly { prefix: string; auth: Auth }[] = [
  { prefix: `${API_PREFIX}/auth/mfa/`, auth: 'bearer' },
  { prefix: `${API_PREFIX}/auth/`, auth: 'none' },
  { prefix: `${API_PREFIX}/webhooks/`, auth: 'none' },
  { prefix: `${API_PREFIX}/llm/`, auth: 'apiKey' },
  { prefix: `${API_PREFIX}/guard/`, auth: 'apiKeyOrBearer' },
  { prefix: `${API_PREFIX}/admin/`, auth: 'admin' },
  { prefix: `${API_PREFIX}/`, auth: 'bearer' },
  { prefix: '/v1/', auth: 'apiKey' },
  { prefix: '/', auth: 'none' },
];

/** Tags in the order the reference shows them; a route's tag is its first segment under /api/v1. */
export const TAGS: readonly { name: string; description: string }[] = [
  { name: 'auth', description: 'Accounts, sessions and MFA.' },
  { name: 'projects', description: 'Projects and their API keys (JWT).' },
  {
    name: 'LLM calls',
    description:
      'Report each model call after it ran (POST /llm/request), or ask before it (POST /llm/check); ' +
      "authenticated by the project's API key.",
  },
  {
    name: 'gateway',
    description:
      "OpenAI-compatible gateway at /v1 (the project's API key as the bearer token): the project's " +
      "remediations and guard are applied before the upstream call. Errors use OpenAI's error shape.",
  },
  { name: 'guard', description: 'Score a text as ingestion would, without storing it (API key or JWT).' },
  { name: 'logs', description: 'Search the recorded LLM calls of a project.' },
  { name: 'metrics', description: 'Dashboard metrics and usage of a project.' },
  { name: 'incidents', description: 'Incidents, root-cause analyses and remediations.' },
  { name: 'feedback', description: 'Product feedback of dashboard users.' },
  { name: 'onboarding', description: 'The setup guide of the signed-in user, derived from real data.' },
  { name: 'settings', description: 'Profile, project and model settings.' },
  { name: 'flags', description: 'Feature flags as they decide for the signed-in user.' },
  { name: 'billing', description: 'Plans, limits, usage and invoices (Stripe, or self-hosted without it).' },
  { name: 'webhooks', description: 'Called by Stripe and Datadog; authenticated by a signature header.' },
  { name: 'admin', description: 'Administration (admin role).' },
  { name: 'health', description: 'Probes for load balancers and orchestrators.' },
  { name: 'operations', description: 'Prometheus scraping.' },
  { name: 'docs', description: 'This reference.' },
];

/**
 * What a path parameter names, by the segment before it (`projects/{id}`): the same `{id}` is a
 * project under /projects and an incident under /incidents. A route with a parameter missing
 * here fails tests/integration/openapi.test.ts (every field described).
 */
export const PATH_PARAMETERS: Readonly<Record<string, string>> = {
  'projects/{id}': 'Id of the project (one you own; an admin may name any).',
  'users/{id}': 'Id of the user.',
  'incidents/{id}': 'Id of the incident.',
  'remediations/{rid}': 'Id of the remediation (one of this incident).',
  'logs/{id}': 'Id of the call (the `id` /llm/request answered with).',
  'config-versions/{n}': 'Number of the config version (1, 2, ...).',
  'providers/{providerId}': 'Id of the provider.',
  'versions/{version}': "Version number of the provider's API key.",
  'feedback/{id}': 'Id of the product feedback.',
  'flags/{key}': 'Key of the flag.',
  'ip-blocks/{ip}': 'The blocked IP address (IPv4 or IPv6).',
};

export type ErrorStatus = 400 | 401 | 403 | 404 | 409 | 413 | 415 | 429 | 500 | 502 | 503;

export interface OperationDoc {
  summary: string;
  description?: string;
  /** Defaults to the method and path: `postProjectsByIdApiKeysRotate`. */
  operationId?: string;
  /** Defaults to the first segment under /api/v1 (`operations` for other top-level routes). */
  tag?: string;
  /** `empty`: no body (204); `json`/`html`/`text`: a body without a schema. */
  success?: { status: number; body: ResponseName | 'empty' | 'json' | 'html' | 'text'; description?: string };
  /** Beyond the derived ones: 400 with a schema, 401 with auth, 404 with an id, 415 with a body, 429, 500. */
  errors?: ErrorStatus[];
  /** A body the controller checks itself instead of validate(). */
  body?: z.ZodType | 'json';
  /** When the path's AUTH_RULES entry does not say it. */
  auth?: Auth;
  headers?: readonly { name: string; description: string; required: boolean }[];
}

const v1 = (method: string, path: string) => `${method} ${API_PREFIX}${path}`;
/** 502: Stripe failed a call; 503: the server has no Stripe (self-hosted). */
const billingErrors: ErrorStatus[] = [502, 503];

/** Keyed by `METHOD /path` with OpenAPI path parameters (`{id}`). */
export const OPERATIONS: Record<string, OperationDoc> = {
  'GET /healthz': {
    summary: 'Liveness probe',
    tag: 'health',
    success: { status: 200, body: 'Health' },
  },
  'GET /readyz': {
    summary: 'Readiness probe: database reachable and migrations applied',
    tag: 'health',
    success: { status: 200, body: 'Readiness' },
    errors: [503],
  },
  'GET /metrics': {
    summary: 'Prometheus metrics (text exposition format)',
    operationId: 'getPrometheusMetrics',
    description: 'Needs `Authorization: Bearer <METRICS_TOKEN>` when the server sets METRICS_TOKEN.',
    tag: 'operations',
    auth: 'metricsToken',
    success: { status: 200, body: 'text' },
    errors: [401],
  },
  'GET /openapi.json': {
    summary: 'This OpenAPI 3.1 document',
    tag: 'docs',
    success: { status: 200, body: 'json' },
  },
  'GET /docs': {
    summary: 'Interactive API reference (HTML)',
    tag: 'docs',
    success: { status: 200, body: 'html' },
  },

  [v1('POST', '/auth/register')]: {
    summary: 'Create an account',
    description: 'Weak passwords (under 10 characters, missing letters or digits, or common) get 400.',
    success: { status: 201, body: 'AuthResponse' },
    errors: [409],
  },
  [v1('POST', '/auth/login')]: {
    summary: 'Log in',
    description:
      'With MFA on and no `mfaCode`, the answer is 401 `MFA_REQUIRED`; a disabled account (right password) ' +
      'gets 403 `FORBIDDEN`.',
    success: { status: 200, body: 'AuthResponse' },
    errors: [401, 403],
  },
  [v1('POST', '/auth/refresh-token')]: {
    summary: 'Exchange a refresh token for new tokens',
    description: 'The old refresh token stops working; presenting a used one revokes its whole family.',
    success: { status: 200, body: 'TokenResponse' },
    errors: [401],
  },
  [v1('POST', '/auth/logout')]: {
    summary: 'Log out (revoke a refresh token)',
    success: { status: 204, body: 'empty' },
  },
  [v1('POST', '/auth/mfa/setup')]: {
    summary: 'Start MFA setup: a TOTP secret to scan',
    success: { status: 200, body: 'MfaSetupResponse' },
  },
  [v1('POST', '/auth/mfa/enable')]: {
    summary: 'Turn MFA on with a code from the authenticator',
    success: { status: 200, body: 'MfaEnableResponse' },
  },
  [v1('POST', '/auth/mfa/disable')]: {
    summary: 'Turn MFA off',
    success: { status: 204, body: 'empty' },
  },

  [v1('GET', '/projects')]: { summary: "List the caller's projects", success: { status: 200, body: 'ProjectList' } },
  [v1('POST', '/projects')]: {
    summary: 'Create a project (and its first API key)',
    success: { status: 201, body: 'CreateProjectResponse' },
    errors: [403],
  },
  [v1('GET', '/projects/{id}')]: { summary: 'Get a project', success: { status: 200, body: 'ProjectResponse' } },
  [v1('DELETE', '/projects/{id}')]: { summary: 'Delete a project', success: { status: 204, body: 'empty' } },
  [v1('GET', '/projects/{id}/api-keys')]: {
    summary: "List a project's API keys (never the secret)",
    success: { status: 200, body: 'ApiKeyList' },
  },
  [v1('POST', '/projects/{id}/api-keys/create')]: {
    summary: 'Create an API key',
    success: { status: 201, body: 'ApiKeyResponse' },
  },
  [v1('POST', '/projects/{id}/api-keys/rotate')]: {
    summary: 'Rotate an API key (the old one works for the grace period)',
    success: { status: 201, body: 'RotateApiKeyResponse' },
  },
  [v1('POST', '/projects/{id}/api-keys/delete')]: {
    summary: 'Delete an API key (it fails at once)',
    success: { status: 204, body: 'empty' },
  },

  [v1('GET', '/projects/{id}/providers')]: {
    summary: "List the project's upstream providers (keys masked)",
    success: { status: 200, body: 'json' },
  },
  [v1('POST', '/projects/{id}/providers')]: {
    summary: 'Store an upstream provider and its API key (write-only, envelope-encrypted)',
    description:
      'The gateway uses the provider named `default` unless `x-llmguard-provider` names another. Base URLs on ' +
      'private or loopback addresses are refused unless GATEWAY_ALLOW_PRIVATE_UPSTREAMS=true.',
    success: { status: 201, body: 'json' },
    errors: [409],
  },
  [v1('POST', '/projects/{id}/providers/{providerId}/rotate')]: {
    summary: "Rotate a provider's key: a new version becomes active",
    success: { status: 201, body: 'json' },
  },
  [v1('DELETE', '/projects/{id}/providers/{providerId}/versions/{version}')]: {
    summary: 'Revoke an inactive key version (its key material is erased)',
    success: { status: 200, body: 'json' },
    errors: [409],
  },
  [v1('DELETE', '/projects/{id}/providers/{providerId}')]: {
    summary: 'Delete a provider and every key version',
    success: { status: 204, body: 'empty' },
  },
  'POST /v1/chat/completions': {
    summary: 'Chat completion through the guardrails (OpenAI wire format, streaming too)',
    tag: 'gateway',
    description:
      'Before the upstream call: disabled endpoint 403 `endpoint_disabled`, end-user rate limit 429 ' +
      '`rate_limit_exceeded` (the `user` field), quota 429 `insufficient_quota`, `switch_model`, ' +
      '`change_system_prompt`, guard `block` 400 `content_filter` (upstream never called), PII `redact`. ' +
      'Answers carry `x-llmguard-request-id`, `x-llmguard-risk` and `x-llmguard-decision`.',
    success: { status: 200, body: 'json' },
    errors: [403, 502, 503],
    headers: [
      { name: 'x-llmguard-provider', description: 'Provider name (default `default`).', required: false },
      {
        name: 'x-llmguard-endpoint',
        description: 'Endpoint name that `disable_endpoint` remediations match.',
        required: false,
      },
      {
        name: 'x-llmguard-fallback-models',
        description: "Comma-separated models tried after the provider's fallbacks.",
        required: false,
      },
    ],
  },
  'POST /v1/embeddings': {
    summary: 'Embeddings, passed through to the provider',
    tag: 'gateway',
    success: { status: 200, body: 'json' },
    errors: [403, 502],
  },
  'GET /v1/models': {
    summary: "The models the project may use (its allowed list, else the provider's)",
    tag: 'gateway',
    success: { status: 200, body: 'json' },
    errors: [502],
  },

  [v1('POST', '/llm/check')]: {
    summary: "Pre-flight: the guard's decision and the policy for a prompt or chat messages (nothing recorded)",
    description:
      'The same checks as /llm/request before a call (403 `ENDPOINT_DISABLED`, 429 `USER_RATE_LIMITED`, ' +
      '`QUOTA_EXCEEDED`), then the decision, effective model and system prompt, and the prompt or messages as ' +
      'they may leave (PII redacted under piiMode `redact`). Send `prompt` or `messages` (exactly one, 400 ' +
      'otherwise); messages are scored by role as /llm/request scores them: an instruction in a user or tool ' +
      'message is an injection, the same words in the system message are not.',
    success: { status: 200, body: 'LlmCheckResponse' },
    errors: [403],
  },
  [v1('GET', '/llm/whoami')]: {
    summary: 'Identify the API key and its project',
    success: { status: 200, body: 'WhoamiResponse' },
  },
  [v1('POST', '/llm/request')]: {
    summary: 'Record an LLM call and get its risk decision',
    description:
      "`decision` is `block` when `riskScore` reaches the project's safety threshold; the call is stored " +
      'either way, and a 201 means the row is committed. 403 `ENDPOINT_DISABLED` for an endpoint a ' +
      'remediation disabled; 429 `USER_RATE_LIMITED` for an end user under a rate-limit remediation, ' +
      '`QUOTA_EXCEEDED` for a plan over quota; 503 when the ingestion queue is full.',
    success: { status: 201, body: 'IngestResponse' },
    errors: [403, 413, 503],
  },

  [v1('POST', '/llm/feedback')]: {
    summary: 'Rate a logged LLM call (thumbs or stars, optional comment)',
    description:
      "`requestId` is the `id` /llm/request answered with (or the gateway's `x-llmguard-request-id`); a call " +
      'of another project is 404 like an unknown one. `scale` is `thumbs` (score -1 or 1, the default) or ' +
      '`stars` (1-5). The comment (at most 2,000 characters) gets a sentiment label in English or German. ' +
      'Negative feedback (thumbs down, 1-2 stars) counts toward the `negative_feedback` incident rule.',
    success: { status: 201, body: 'LlmFeedbackResponse' },
  },

  [v1('POST', '/feedback')]: {
    summary: 'Send product feedback (bug, feature request, praise, other)',
    description:
      'The message (at most 5,000 characters) gets a sentiment label in English or German. Limited to ' +
      'FEEDBACK_RATE_LIMIT_PER_HOUR items per user and hour (429 beyond).',
    success: { status: 201, body: 'ProductFeedbackResponse' },
    errors: [429],
  },
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

  [v1('POST', '/guard/check')]: {
    summary: 'Score a prompt or chat messages (and a response) as ingestion would, storing nothing',
    description:
      "The same risk score, level, flags and decision `POST /llm/request` would give under the project's " +
      "settings and active remediations, plus the injection model's calibrated probability. Send `prompt` or " +
      '`messages` (exactly one; messages are scored by role as /llm/request scores them). Nothing is ' +
      'stored and no quota is used; rate-limited like ingestion. With an API key the project is the ' +
      "key's (a `projectId` must match it); with a dashboard JWT `projectId` is required.",
    success: { status: 200, body: 'GuardCheckResponse' },
    errors: [403, 404, 413],
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

  [v1('POST', '/webhooks/stripe')]: {
    summary: 'Stripe events',
    description: "A bad or missing signature gets 400 (Stripe's convention); a repeated event id 200, processed once.",
    success: { status: 200, body: 'WebhookResponse' },
    body: 'json',
    headers: [{ name: 'Stripe-Signature', description: "Stripe's signature of the raw body", required: true }],
    errors: [400, 503],
  },
  [v1('POST', '/webhooks/datadog')]: {
    summary: 'Datadog monitor alerts (open and resolve external incidents)',
    description: 'A bad or missing signature gets 401; a repeated event id 200, processed once.',
    success: { status: 200, body: 'DatadogWebhookResponse' },
    body: datadogBody,
    headers: [
      {
        name: 'X-Datadog-Signature',
        description: "hex HMAC-SHA-256 of the raw body with the project's Datadog webhook secret",
        required: true,
      },
    ],
    errors: [401],
  },

  [v1('GET', '/admin/users')]: { summary: 'List users', success: { status: 200, body: 'json' } },
  [v1('POST', '/admin/users/{id}/role')]: { summary: "Change a user's role", success: { status: 200, body: 'json' } },
  [v1('POST', '/admin/users/{id}/disable')]: {
    summary: 'Disable an account (audited)',
    description:
      'Revokes every session of the user; their access tokens are refused from the next request, and ' +
      'login (403 `FORBIDDEN`) and refresh (401) are refused until the account is enabled again. ' +
      '409 `CONFLICT` for your own account.',
    success: { status: 200, body: 'json' },
    errors: [409],
  },
  [v1('POST', '/admin/users/{id}/enable')]: {
    summary: 'Enable a disabled account (audited); the user logs in again',
    success: { status: 200, body: 'json' },
  },
  [v1('GET', '/admin/audit-logs')]: { summary: 'Search the audit log', success: { status: 200, body: 'json' } },
  [v1('GET', '/admin/ip-blocks')]: { summary: 'List blocked IP addresses', success: { status: 200, body: 'json' } },
  [v1('DELETE', '/admin/ip-blocks/{ip}')]: {
    summary: 'Unblock an IP address',
    success: { status: 204, body: 'empty' },
  },
  [v1('GET', '/admin/feedback')]: {
    summary: 'Product feedback of all users, with counts per kind and sentiment',
    description:
      'Filters: `kind`, `sentiment`, `status`, `from`/`to`. `counts` cover the period and status filter ' +
      '(not kind or sentiment), so the distribution stays visible next to a filtered list.',
    success: { status: 200, body: 'AdminFeedbackList' },
  },
  [v1('GET', '/admin/onboarding-funnel')]: {
    summary: 'Users who signed up in a period, and how many of them did each setup step',
    success: { status: 200, body: 'json' },
  },
  [v1('POST', '/admin/feedback/{id}/status')]: {
    summary: 'Set the status of a product feedback item (audited)',
    success: { status: 200, body: 'ProductFeedbackResponse' },
  },
  [v1('GET', '/admin/usage')]: { summary: 'Usage across all projects', success: { status: 200, body: 'json' } },
  [v1('POST', '/admin/billing/refunds')]: {
    summary: 'Refund an invoice',
    success: { status: 201, body: 'RefundResponse' },
    errors: billingErrors,
  },
  [v1('GET', '/admin/flags')]: {
    summary: 'List feature flags (archived ones too unless archived=false)',
    success: { status: 200, body: 'FlagList' },
  },
  [v1('POST', '/admin/flags')]: {
    summary: 'Create a feature flag (audited)',
    description:
      'Rules, in order: archived or disabled -> off; denyUsers/denyProjects -> off; allowUsers/allowProjects -> on; ' +
      'otherwise on for rolloutPercent % of users (sticky by a hash of flag key and user id). A user who gets the ' +
      'flag gets one of its variants, sticky by hash and weighted. 409 when the key exists.',
    success: { status: 201, body: 'FlagResponse' },
    errors: [409],
  },
  [v1('PATCH', '/admin/flags/{key}')]: {
    summary: 'Change a feature flag (audited with each field before and after)',
    success: { status: 200, body: 'FlagResponse' },
    errors: [404, 409],
  },
  [v1('POST', '/admin/flags/{key}/archive')]: {
    summary: 'Archive a feature flag: off for everyone, kept for the record (audited)',
    success: { status: 200, body: 'FlagResponse' },
    errors: [404],
  },
  [v1('DELETE', '/admin/flags/{key}')]: {
    summary: 'Archive a feature flag (same as POST .../archive)',
    success: { status: 200, body: 'FlagResponse' },
    errors: [404],
  },
  [v1('GET', '/flags')]: {
    summary: "The signed-in user's feature flags, evaluated",
    description:
      'With `projectId` (one of your projects), the project allow and deny lists apply too. Archived and ' +
      'disabled flags are listed as off; a flag that does not exist is absent (the client decides its default).',
    success: { status: 200, body: 'EvaluatedFlags' },
    errors: [404],
  },
  [v1('PUT', '/projects/{id}/config-split')]: {
    summary: 'Start or change an A/B split between config versions (audited)',
    description:
      'Gated by the feature flag `config-splits`: 403 FEATURE_DISABLED when the flag exists and is off for the ' +
      'caller or the project; no flag = allowed.',
    success: { status: 200, body: 'json' },
    errors: [403, 404],
  },
};
