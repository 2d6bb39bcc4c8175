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
import { ingestResponse } from '../validators/ingestValidators.js';
import {
  adminFeedbackItem,
  llmFeedbackResponse,
  llmFeedbackSchema,
  metricsFeedbackSchema,
  productFeedbackResponse,
  productFeedbackSchema,
} from '../validators/feedbackValidators.js';
import { rcaAnswerSchema } from '../domain/incidents/rcaPrompt.js';
import {
  Decision,
  IncidentStatus,
  IncidentType,
  PiiMode,
  RemediationActionType,
  RemediationStatus,
  RequestStatus,
  RiskLevel,
  Severity,
} from '../types/vocabulary.js';

const timestamp = z.iso.datetime({ offset: true });
const count = z.number().int().min(0);

export const errorResponse = z.object({
  error: z.object({
    code: z.enum(Object.keys(ERROR_STATUS) as [ErrorCode, ...ErrorCode[]]),
    message: z.string(),
    details: z.unknown().optional().describe('for VALIDATION_ERROR: the field issues ({ path, message, code })'),
    requestId: z.string().describe('the X-Request-Id of the call'),
  }),
});

/** `{ data, page, limit, total }`, the shape of every list. */
export const pageOf = <T extends z.ZodType>(item: T) =>
  z.object({ data: z.array(item), page: z.number().int(), limit: z.number().int(), total: count });

export const healthResponse = z.object({ status: z.literal('ok') });
export const readinessResponse = z.object({
  status: z.enum(['ready', 'unavailable']),
  ready: z.boolean(),
  checks: z.object({
    database: z.enum(['ok', 'down']),
    migrations: z.enum(['ok', 'pending', 'unknown']),
  }),
});

export const profileResponse = z.object({
  user: userSchema.extend({ mfaEnabled: z.boolean(), createdAt: timestamp }),
});
export const mfaSetupResponse = z.object({ secret: z.string(), otpauthUrl: z.string() });
export const mfaEnableResponse = z.object({
  recoveryCodes: z.array(z.string()).describe('shown once; each signs in once instead of a TOTP code'),
});

export const project = z.object({
  id: z.string(),
  name: z.string(),
  description: z.string().nullable(),
  ownerId: z.string(),
  safetyThreshold: z.number().int().min(0).max(100),
  piiMode: z.enum(PiiMode),
  guardMode: z.enum(['enforce', 'monitor']).describe('monitor: scored and flagged, never blocked'),
  defaultModel: z.string().nullable(),
  systemPrompt: z.string().nullable(),
  alertWebhookUrl: z.string().nullable(),
  slackWebhookUrl: z.string().nullable(),
  datadogWebhookSecret: z.string().nullable().describe('write-only: read back masked'),
  alertWebhookSecret: z.string().nullable().describe('write-only: read back masked'),
  createdAt: timestamp,
  updatedAt: timestamp,
});

export const apiKey = z.object({
  id: z.string(),
  name: z.string(),
  prefix: z.string().describe('the first characters of the key, to recognise it'),
  key: z.string().optional().describe('the secret: only in the response that creates the key'),
  createdAt: timestamp,
  expiresAt: timestamp.nullable(),
  lastUsedAt: timestamp.nullable(),
  revokedAt: timestamp.nullable(),
});

export const projectResponse = z.object({ project });
export const createProjectResponse = z.object({ project, apiKey });
export const apiKeyResponse = z.object({ apiKey });
export const rotateApiKeyResponse = z.object({
  apiKey,
  previous: z.object({ id: z.string(), expiresAt: timestamp.describe('the old key stops working then') }),
});

export const whoamiResponse = z.object({ projectId: z.string(), apiKeyId: z.string(), plan: z.string() });

/** A logged request; in lists `prompt` and `response` are cut to their first 500 characters. */
export const llmRequest = z.object({
  id: z.string(),
  projectId: z.string(),
  apiKeyId: z.string().nullable(),
  model: z.string(),
  effectiveModel: z.string(),
  endpoint: z.string().nullable(),
  endUserId: z.string().nullable(),
  prompt: z.string(),
  response: z.string().nullable(),
  latencyMs: z.number().int(),
  promptTokens: z.number().int().nullable(),
  completionTokens: z.number().int().nullable(),
  totalTokens: z.number().int().nullable(),
  status: z.enum(RequestStatus),
  error: z.string().nullable(),
  riskScore: z.number().int().min(0).max(100),
  riskLevel: z.enum(RiskLevel),
  riskFlags: z.array(z.string()),
  decision: z.enum(Decision),
  costUsd: z.number().nullable(),
  piiRedacted: z.boolean(),
  createdAt: timestamp,
  outcome: z.enum(['accepted', 'refused']).describe('`refused`: a remediation refused the call'),
  refusalReason: z.enum(['endpoint_disabled', 'user_rate_limited']).nullable(),
  messages: z
    .array(z.object({ role: z.string(), content: z.string(), name: z.string().optional() }))
    .nullable()
    .describe('The chat messages with their roles, when the call was reported with `messages`'),
});
export const logResponse = z.object({
  request: llmRequest.extend({
    systemPrompt: z.string().nullable(),
    metadata: z.record(z.string(), z.unknown()).nullable(),
    feedback: z.array(llmFeedbackSchema),
  }),
});

const traffic = {
  errorRate: z.number().min(0).max(1),
  promptTokens: count,
  completionTokens: count,
  totalTokens: count,
  avgLatencyMs: z.number().min(0),
};

export const metricsResponse = z.object({
  projectId: z.string(),
  from: timestamp,
  to: timestamp.describe('exclusive, aligned to the granularity'),
  granularity: z.enum(['hour', 'day']),
  summary: z.object({
    totalRequests: count,
    errorCount: count,
    ...traffic,
    costUsd: z.number().min(0).describe('sum over priced requests'),
    unpricedRequests: count,
    unpricedModels: z.array(z.string()),
    p50LatencyMs: z.number().nullable(),
    p95LatencyMs: z.number().nullable(),
    avgRiskScore: z.number().min(0).max(100),
    highRiskCount: count,
  }),
  byModel: z.array(
    z.object({
      model: z.string(),
      requests: count,
      errors: count,
      ...traffic,
      costUsd: z.number().nullable().describe('null when no request of the model could be priced'),
      unpricedRequests: count,
    }),
  ),
  series: z.array(z.object({ ts: timestamp, requests: count, errors: count, ...traffic, costUsd: z.number().min(0) })),
  feedback: metricsFeedbackSchema.describe('feedback given in the range (POST /llm/feedback), in total and per model'),
  refusals: z
    .object({
      total: count,
      byReason: z.record(z.string(), count).describe('endpoint_disabled, user_rate_limited'),
    })
    .describe('Calls a remediation refused in the range (stored with outcome refused; also counted above).'),
});

export const remediation = z.object({
  id: z.string(),
  incidentId: z.string().nullable(),
  projectId: z.string(),
  action: z.enum(RemediationActionType),
  params: z.record(z.string(), z.unknown()),
  status: z.enum(RemediationStatus),
  appliedById: z.string().nullable(),
  createdAt: timestamp,
  expiresAt: timestamp.nullable(),
  revertedAt: timestamp.nullable(),
  revertedById: z.string().nullable(),
});

export const incident = z.object({
  id: z.string(),
  projectId: z.string(),
  type: z.enum(IncidentType),
  severity: z.enum(Severity),
  status: z.enum(IncidentStatus),
  title: z.string(),
  description: z.string().nullable(),
  endpoint: z.string(),
  count: z.number().int().min(1),
  firstSeenAt: timestamp,
  lastSeenAt: timestamp,
  figures: z.record(z.string(), z.unknown()),
  rca: rcaAnswerSchema.extend({ source: z.enum(['openai', 'fallback']), model: z.string().optional() }).nullable(),
  rcaGeneratedAt: timestamp.nullable(),
  resolvedAt: timestamp.nullable(),
  resolutionNote: z.string().nullable(),
  createdAt: timestamp,
  updatedAt: timestamp,
});

export const incidentResponse = z.object({ incident });
export const incidentDetailResponse = z.object({
  incident: incident.extend({
    relatedRequests: z.array(z.record(z.string(), z.unknown())),
    remediations: z.array(remediation),
  }),
});
export const remediationResponse = z.object({ remediation });

export const datadogWebhookResponse = z.object({
  status: z.enum(['opened', 'updated', 'resolved', 'ignored', 'duplicate']),
  incidentId: z.string().optional(),
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
    counts: z.object({
      byKind: z.record(z.string(), count),
      bySentiment: z.record(z.string(), count).describe('negative, neutral, positive, none'),
    }),
  }),
  IngestResponse: ingestResponse,
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
