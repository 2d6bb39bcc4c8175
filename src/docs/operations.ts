/**
 * What the router stack cannot tell: a summary per operation, its success status and body, the
 * errors beyond the ones every route of its kind can return, and who may call it. A route
 * missing from OPERATIONS is still documented (summary from its handler's name, a generic
 * 2XX); an entry without a route fails tests/integration/openapi.test.ts.
 */
import { API_PREFIX } from '../config/constants.js';
import { ADMIN_OPERATIONS } from './operations/admin.js';
import { DASHBOARD_OPERATIONS } from './operations/dashboard.js';
import { PLATFORM_OPERATIONS } from './operations/platform.js';
import type { Auth, OperationDoc } from './operationDoc.js';
import { SDK_OPERATIONS } from './operations/sdk.js';

export type { Auth, ErrorStatus, OperationDoc } from './operationDoc.js';

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

/**
 * Keyed by `METHOD /path` with OpenAPI path parameters (`{id}`), in groups by who calls them
 * (operations/*.ts).
 */
export const OPERATIONS: Record<string, OperationDoc> = {
  ...PLATFORM_OPERATIONS,
  ...SDK_OPERATIONS,
  ...DASHBOARD_OPERATIONS,
  ...ADMIN_OPERATIONS,
};
