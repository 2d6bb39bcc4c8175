/**
 * What applications and other services call: the SDK's `/llm/*` routes (API key), the guard check,
 * the OpenAI-compatible gateway, and the Stripe and Datadog webhooks. (operations.ts merges the
 * groups.)
 */
import { datadogBody } from '../../validators/incidentValidators.js';
import type { OperationDoc } from '../operationDoc.js';
import { v1 } from './v1.js';

export const SDK_OPERATIONS: Record<string, OperationDoc> = {
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
};
