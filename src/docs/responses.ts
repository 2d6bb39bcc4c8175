/**
 * Response bodies of the main operations, for the OpenAPI document. Request schemas are never
 * repeated here (they come from validate() on each route); responses reuse the validators'
 * response schemas where they exist and describe the rest, and tests/integration/openapi.test.ts
 * checks real responses against them so that they cannot drift from the controllers.
 */
import { z } from 'zod';
import { ERROR_STATUS, type ErrorCode } from '../utils/AppError.js';
import { authResponse, tokenResponse, userSchema } from '../validators/authValidators.js';
import {
  checkoutResponse,
  invoiceListResponse,
  portalResponse,
  refundResponse,
  subscriptionResponse,
  webhookResponse,
} from '../validators/billingValidators.js';
import { guardCheckResponse } from '../validators/guardValidators.js';
import { evaluatedFlagsResponse, flagResponse, flagSchema } from '../validators/flagValidators.js';
import { ingestResponse, llmCheckResponse, storedMessage } from '../validators/ingestValidators.js';
import { PROJECT_FIELDS } from '../validators/projectValidators.js';
import {
  adminFeedbackItem,
  llmFeedbackResponse,
  llmFeedbackSchema,
  productFeedbackResponse,
  productFeedbackSchema,
} from '../validators/feedbackValidators.js';
import { Decision, PiiMode, RequestStatus, RiskLevel } from '../types/vocabulary.js';
import {
  datadogWebhookResponse,
  incident,
  incidentDetailResponse,
  incidentResponse,
  remediation,
  remediationResponse,
} from './incidentResponses.js';
import { metricsResponse } from './metricsResponses.js';
import { count, timestamp } from './schemaParts.js';

export { metricsResponse } from './metricsResponses.js';

export const errorResponse = z.object({
  error: z
    .object({
      code: z
        .enum(Object.keys(ERROR_STATUS) as [ErrorCode, ...ErrorCode[]])
        .describe('Machine-readable error code, e.g. `VALIDATION_ERROR`.'),
      message: z.string().describe('What went wrong, for people.'),
      details: z.unknown().optional().describe('for VALIDATION_ERROR: the field issues ({ path, message, code })'),
      requestId: z.string().describe('the X-Request-Id of the call'),
    })
    .describe('What went wrong.'),
});

/** `{ data, page, limit, total }`, the shape of every list. */
export const pageOf = <T extends z.ZodType>(item: T) =>
  z.object({
    data: z.array(item).describe('The items of this page.'),
    page: z.number().int().describe('Page number, from 1.'),
    limit: z.number().int().describe('Items per page.'),
    total: count.describe('Items in all pages.'),
  });

export const healthResponse = z.object({ status: z.literal('ok').describe('The process is up.') });
export const readinessResponse = z.object({
  status: z.enum(['ready', 'unavailable']).describe('`ready` when every check is `ok`.'),
  ready: z.boolean().describe('Whether the instance should get traffic.'),
  checks: z
    .object({
      database: z.enum(['ok', 'down']).describe('Whether the database answers.'),
      migrations: z
        .enum(['ok', 'pending', 'unknown'])
        .describe('Whether every migration is applied (`unknown` while the database is down).'),
    })
    .describe('Each check on its own.'),
});

export const profileResponse = z.object({
  user: userSchema
    .extend({
      mfaEnabled: z.boolean().describe('Whether sign-in needs a TOTP or recovery code.'),
      createdAt: timestamp.describe('When the account was created.'),
    })
    .describe('The signed-in user.'),
});
export const mfaSetupResponse = z.object({
  secret: z.string().describe('The new TOTP secret (base32), for typing into an authenticator app.'),
  otpauthUrl: z.string().describe('The same secret as an `otpauth://` URL, for a QR code.'),
});
export const mfaEnableResponse = z.object({
  recoveryCodes: z.array(z.string()).describe('shown once; each signs in once instead of a TOTP code'),
});

export const project = z
  .object({
    id: z.string().describe('Id of the project.'),
    name: z.string().describe(PROJECT_FIELDS.name),
    description: z.string().nullable().describe(PROJECT_FIELDS.description),
    ownerId: z.string().describe('Id of the user who owns it.'),
    safetyThreshold: z.number().int().min(0).max(100).describe(PROJECT_FIELDS.safetyThreshold),
    piiMode: z.enum(PiiMode).describe(PROJECT_FIELDS.piiMode),
    guardMode: z.enum(['enforce', 'monitor']).describe(PROJECT_FIELDS.guardMode),
    defaultModel: z.string().nullable().describe(PROJECT_FIELDS.defaultModel),
    systemPrompt: z.string().nullable().describe(PROJECT_FIELDS.systemPrompt),
    alertWebhookUrl: z.string().nullable().describe(PROJECT_FIELDS.alertWebhookUrl),
    slackWebhookUrl: z.string().nullable().describe(PROJECT_FIELDS.slackWebhookUrl),
    datadogWebhookSecret: z.string().nullable().describe('write-only: read back masked'),
    alertWebhookSecret: z.string().nullable().describe('write-only: read back masked'),
    createdAt: timestamp.describe('When the project was created.'),
    updatedAt: timestamp.describe('Last change of the project or its settings.'),
  })
  .describe('A project: the unit API keys, settings, calls and incidents belong to.');

export const apiKey = z
  .object({
    id: z.string().describe('Id of the key.'),
    name: z.string().describe('Its name.'),
    prefix: z.string().describe('the first characters of the key, to recognise it'),
    key: z.string().optional().describe('the secret: only in the response that creates the key'),
    createdAt: timestamp.describe('When the key was created.'),
    expiresAt: timestamp.nullable().describe('When it stops working (null: never).'),
    lastUsedAt: timestamp.nullable().describe('When it was last used (null: never).'),
    revokedAt: timestamp.nullable().describe('When it was revoked (null: not revoked).'),
  })
  .describe('A project API key (lgk_...), as X-API-Key or bearer token for /llm/* and the gateway.');

export const projectResponse = z.object({ project });
export const createProjectResponse = z.object({ project, apiKey });
export const apiKeyResponse = z.object({ apiKey });
export const rotateApiKeyResponse = z.object({
  apiKey,
  previous: z
    .object({
      id: z.string().describe('Id of the replaced key.'),
      expiresAt: timestamp.describe('the old key stops working then'),
    })
    .describe('The key it replaces.'),
});

export const whoamiResponse = z.object({
  projectId: z.string().describe("The key's project."),
  apiKeyId: z.string().describe('Id of the key.'),
  plan: z.string().describe("The plan of the project's owner (self-hosted: the configured plan)."),
});

/** A logged request; in lists `prompt` and `response` are cut to their first 500 characters. */
export const llmRequest = z.object({
  id: z.string().describe('Id of the call (time-ordered UUIDv7).'),
  projectId: z.string().describe('The project it was reported to.'),
  apiKeyId: z.string().nullable().describe('The API key that reported it (null: recorded by the gateway job).'),
  model: z.string().describe('The model the app asked for.'),
  effectiveModel: z.string().describe('The model that served it (after switch_model or allowedModels).'),
  endpoint: z.string().nullable().describe("The app's name for the feature that made the call."),
  endUserId: z.string().nullable().describe("The app's id of the end user."),
  prompt: z
    .string()
    .describe(
      'The prompt as stored (PII redacted when the project redacts or blocks it); for chat calls the transcript.',
    ),
  response: z.string().nullable().describe("The model's answer as stored."),
  latencyMs: z.number().int().describe('Latency of the model call in milliseconds.'),
  promptTokens: z.number().int().nullable().describe('Input tokens.'),
  completionTokens: z.number().int().nullable().describe('Output tokens.'),
  totalTokens: z.number().int().nullable().describe('Input plus output tokens.'),
  status: z.enum(RequestStatus).describe('`error` when the model call failed.'),
  error: z.string().nullable().describe('The error message of a failed call.'),
  riskScore: z.number().int().min(0).max(100).describe('Risk score 0-100.'),
  riskLevel: z.enum(RiskLevel).describe('Band of the score: low < 30 <= medium < 60 <= high < 85 <= critical.'),
  riskFlags: z.array(z.string()).describe('Every signal found, e.g. `injection:override`, `pii:email`.'),
  decision: z.enum(Decision).describe('`allow`, `flag` (serve, needs a look) or `block` (do not serve as sent).'),
  costUsd: z.number().nullable().describe('Estimated cost in USD; null for an unknown model.'),
  piiRedacted: z.boolean().describe('Whether PII or secrets were replaced by placeholders before storing.'),
  createdAt: timestamp.describe('When the call was recorded.'),
  outcome: z.enum(['accepted', 'refused']).describe('`refused`: a remediation refused the call'),
  refusalReason: z
    .enum(['endpoint_disabled', 'user_rate_limited'])
    .nullable()
    .describe('Why a remediation refused it (outcome `refused` only).'),
  messages: z
    .array(storedMessage)
    .nullable()
    .describe('The chat messages with their roles, when the call was reported with `messages`'),
});
export const logResponse = z.object({
  request: llmRequest
    .extend({
      systemPrompt: z.string().nullable().describe('The system prompt the policy gave the call, as stored.'),
      metadata: z
        .record(z.string(), z.unknown())
        .nullable()
        .describe('The JSON object the app reported with the call.'),
      feedback: z.array(llmFeedbackSchema).describe('Ratings of the call (POST /llm/feedback).'),
    })
    .describe('The call with its whole prompt and response.'),
});

/**
 * Named schemas of components.schemas. A schema used inside another one (User in AuthResponse)
 * becomes a $ref to its component.
 */
export const responseComponents = {
  Error: errorResponse,
  Health: healthResponse,
  Readiness: readinessResponse,
  User: userSchema,
  AuthResponse: authResponse,
  TokenResponse: tokenResponse,
  ProfileResponse: profileResponse,
  MfaSetupResponse: mfaSetupResponse,
  MfaEnableResponse: mfaEnableResponse,
  Project: project,
  ApiKey: apiKey,
  ProjectResponse: projectResponse,
  ProjectList: pageOf(project),
  CreateProjectResponse: createProjectResponse,
  ApiKeyResponse: apiKeyResponse,
  ApiKeyList: pageOf(apiKey),
  RotateApiKeyResponse: rotateApiKeyResponse,
  WhoamiResponse: whoamiResponse,
  LlmFeedbackResponse: llmFeedbackResponse,
  ProductFeedbackResponse: productFeedbackResponse,
  ProductFeedbackList: pageOf(productFeedbackSchema),
  AdminFeedbackList: pageOf(adminFeedbackItem).extend({
    counts: z
      .object({
        byKind: z.record(z.string(), count).describe('bug, feature_request, praise, other'),
        bySentiment: z.record(z.string(), count).describe('negative, neutral, positive, none'),
      })
      .describe(
        'Feedback in the period and status filter, per kind and per sentiment (the kind and sentiment filters do ' +
          'not narrow the counts).',
      ),
  }),
  IngestResponse: ingestResponse,
  LlmCheckResponse: llmCheckResponse,
  GuardCheckResponse: guardCheckResponse,
  LlmRequest: llmRequest,
  LogList: pageOf(llmRequest),
  LogResponse: logResponse,
  MetricsResponse: metricsResponse,
  Incident: incident,
  IncidentList: pageOf(incident),
  IncidentResponse: incidentResponse,
  IncidentDetailResponse: incidentDetailResponse,
  Remediation: remediation,
  RemediationResponse: remediationResponse,
  RemediationList: pageOf(remediation),
  CheckoutResponse: checkoutResponse,
  PortalResponse: portalResponse,
  InvoiceList: invoiceListResponse,
  SubscriptionResponse: subscriptionResponse,
  RefundResponse: refundResponse,
  WebhookResponse: webhookResponse,
  DatadogWebhookResponse: datadogWebhookResponse,
  Flag: flagSchema,
  FlagResponse: flagResponse,
  FlagList: pageOf(flagSchema),
  EvaluatedFlags: evaluatedFlagsResponse,
} satisfies Record<string, z.ZodType>;

export type ResponseName = keyof typeof responseComponents;
