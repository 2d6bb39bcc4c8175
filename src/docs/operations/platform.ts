/**
 * Health, metrics and docs, sign-in and accounts, projects with their API keys and upstream
 * providers. (operations.ts merges the groups.)
 */
import type { OperationDoc } from '../operationDoc.js';
import { v1 } from './v1.js';

export const PLATFORM_OPERATIONS: Record<string, OperationDoc> = {
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

  [v1('PUT', '/projects/{id}/config-split')]: {
    summary: 'Start or change an A/B split between config versions (audited)',
    description:
      'Gated by the feature flag `config-splits`: 403 FEATURE_DISABLED when the flag exists and is off for the ' +
      'caller or the project; no flag = allowed.',
    success: { status: 200, body: 'json' },
    errors: [403, 404],
  },
};
