/**
 * Errors on /v1 in OpenAI's shape, `{ error: { message, type, param, code } }`, so the
 * official SDKs raise them as their usual error classes (RateLimitError, PermissionDeniedError,
 * BadRequestError...). Our own refusals keep their meaning in `code`; upstream errors are
 * passed on without anything that could carry the provider key.
 */
import { APIConnectionError, APIConnectionTimeoutError, APIError, APIUserAbortError } from 'openai';
import { toAppError } from '../appErrors.js';
import { AppError } from '../../utils/AppError.js';

export interface OpenAIErrorBody {
  error: { message: string; type: string; param: string | null; code: string | null };
}

export interface GatewayFailure {
  status: number;
  body: OpenAIErrorBody;
  headers: Record<string, string>;
  /** for the recorded row's `error` column */
  summary: string;
  /** an error of ours worth a stack in the log (5xx not caused by upstream) */
  internal: boolean;
}

/** A refusal of the gateway itself with an OpenAI code (e.g. content_filter). */
export class GatewayRefusal extends Error {
  constructor(
    readonly status: number,
    readonly type: string,
    readonly code: string,
    message: string,
    readonly headers: Record<string, string> = {},
  ) {
    super(message);
    this.name = 'GatewayRefusal';
  }
}

const APP_CODES: Record<string, { type: string; code: string }> = {
  UNAUTHORIZED: { type: 'invalid_request_error', code: 'invalid_api_key' },
  IP_BLOCKED: { type: 'permission_error', code: 'ip_blocked' },
  FORBIDDEN: { type: 'permission_error', code: 'forbidden' },
  ENDPOINT_DISABLED: { type: 'permission_error', code: 'endpoint_disabled' },
  RATE_LIMITED: { type: 'requests', code: 'rate_limit_exceeded' },
  USER_RATE_LIMITED: { type: 'requests', code: 'rate_limit_exceeded' },
  QUOTA_EXCEEDED: { type: 'insufficient_quota', code: 'insufficient_quota' },
  VALIDATION_ERROR: { type: 'invalid_request_error', code: 'invalid_request' },
  INVALID_JSON: { type: 'invalid_request_error', code: 'invalid_json' },
  NOT_FOUND: { type: 'invalid_request_error', code: 'not_found' },
  PAYLOAD_TOO_LARGE: { type: 'invalid_request_error', code: 'payload_too_large' },
  UNSUPPORTED_MEDIA_TYPE: { type: 'invalid_request_error', code: 'unsupported_media_type' },
  SERVICE_UNAVAILABLE: { type: 'server_error', code: 'service_unavailable' },
};

/** Removes the key (and anything shaped like a provider key) from an upstream message. */
export function scrubSecrets(text: string, secrets: readonly string[]): string {
  let out = text;
  for (const s of secrets) if (s.length >= 4) out = out.split(s).join('[redacted]');
  return out.replace(/\b(sk|rk|pk)-[A-Za-z0-9_*.-]{4,}/g, '[redacted]').replace(/\blgk_[A-Za-z0-9_-]+/g, '[redacted]');
}

function body(message: string, type: string, code: string | null, param: string | null = null): OpenAIErrorBody {
  return { error: { message, type, param, code } };
}

/** Any error thrown on /v1 as the answer to send. `secrets` are scrubbed from upstream messages. */
export function toGatewayFailure(err: unknown, secrets: readonly string[] = []): GatewayFailure {
  if (err instanceof GatewayRefusal) {
    return {
      status: err.status,
      body: body(err.message, err.type, err.code),
      headers: err.headers,
      summary: err.code,
      internal: false,
    };
  }
  if (err instanceof APIUserAbortError) {
    return {
      status: 499,
      body: body('The client closed the request', 'invalid_request_error', 'client_closed_request'),
      headers: {},
      summary: 'client_closed_request',
      internal: false,
    };
  }
  if (err instanceof APIConnectionTimeoutError) {
    return {
      status: 504,
      body: body('The upstream provider did not answer in time', 'upstream_error', 'upstream_timeout'),
      headers: {},
      summary: 'upstream_timeout',
      internal: false,
    };
  }
  if (err instanceof APIConnectionError) {
    return {
      status: 502,
      body: body('The upstream provider could not be reached', 'upstream_error', 'upstream_unreachable'),
      headers: {},
      summary: 'upstream_unreachable',
      internal: false,
    };
  }
  if (err instanceof APIError && typeof err.status === 'number') {
    const status = err.status;
    if (status === 401 || status === 403) {
      // The provider refused our stored key: the client's own credentials are fine.
      return {
        status: 502,
        body: body(
          `The upstream provider refused the project's stored key (HTTP ${status}); rotate the provider key`,
          'upstream_error',
          'upstream_auth_failed',
        ),
        headers: {},
        summary: `upstream_auth_failed:${status}`,
        internal: false,
      };
    }
    const upstream = (err.error ?? {}) as { message?: unknown };
    const message = scrubSecrets(
      typeof upstream.message === 'string' ? upstream.message : `Upstream error (HTTP ${status})`,
      secrets,
    );
    const headers: Record<string, string> = {};
    const retryAfter = err.headers?.get('retry-after');
    if (retryAfter) headers['Retry-After'] = retryAfter;
    if (status >= 500) {
      return {
        status: 502,
        body: body(`Upstream error (HTTP ${status}): ${message}`, 'upstream_error', 'upstream_error'),
        headers,
        summary: `upstream_error:${status}`,
        internal: false,
      };
    }
    return {
      status,
      body: body(message, err.type ?? 'invalid_request_error', err.code ?? null, err.param ?? null),
      headers,
      summary: `upstream:${status}:${err.code ?? err.type ?? 'error'}`,
      internal: false,
    };
  }
  const app = toAppError(err);
  // A refusal of ours without its own entry keeps its meaning in `code`; only a 5xx is a server error.
  const mapped =
    APP_CODES[app.code] ??
    (app.status < 500
      ? { type: 'invalid_request_error', code: app.code.toLowerCase() }
      : { type: 'server_error', code: 'internal_error' });
  const details = app.details as { path?: string }[] | undefined;
  const param = Array.isArray(details) && typeof details[0]?.path === 'string' ? details[0].path : null;
  let message = app.message;
  if (app.code === 'VALIDATION_ERROR' && Array.isArray(details) && details.length > 0) {
    message = details
      .map((d) => `${(d as { path?: string }).path || 'body'}: ${(d as { message?: string }).message}`)
      .join('; ');
  }
  return {
    status: app.status,
    body: body(message, mapped.type, mapped.code, param),
    headers: app.headers ?? {},
    summary: mapped.code,
    internal: app.status >= 500 && !(err instanceof AppError && app.code === 'SERVICE_UNAVAILABLE'),
  };
}
