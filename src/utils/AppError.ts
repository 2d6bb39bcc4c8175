/** The closed set of error codes this API returns, and the HTTP status of each. */
export const ERROR_STATUS = {
  VALIDATION_ERROR: 400,
  INVALID_JSON: 400,
  UNSUPPORTED_API_VERSION: 400,
  /** a webhook whose signature is forged, stale or missing (Stripe's convention is 400) */
  INVALID_SIGNATURE: 400,
  UNAUTHORIZED: 401,
  MFA_REQUIRED: 401,
  FORBIDDEN: 403,
  IP_BLOCKED: 403,
  ENDPOINT_DISABLED: 403,
  PLAN_LIMIT: 403,
  /** the feature is switched off for this user or project by a feature flag */
  FEATURE_DISABLED: 403,
  NOT_FOUND: 404,
  CONFLICT: 409,
  PAYLOAD_TOO_LARGE: 413,
  UNSUPPORTED_MEDIA_TYPE: 415,
  RATE_LIMITED: 429,
  USER_RATE_LIMITED: 429,
  QUOTA_EXCEEDED: 429,
  INTERNAL_ERROR: 500,
  /** Stripe refused or failed a call we made */
  PAYMENT_PROVIDER_ERROR: 502,
  BILLING_NOT_CONFIGURED: 503,
  SERVICE_UNAVAILABLE: 503,
  /** the database is unreachable or did not answer in time; retry after Retry-After */
  DATABASE_UNAVAILABLE: 503,
} as const;

export type ErrorCode = keyof typeof ERROR_STATUS;

/** The one error type services throw; the error middleware turns it into the JSON body. */
export class AppError extends Error {
  readonly code: ErrorCode;
  readonly status: number;
  readonly details?: unknown;
  /** Extra response headers (e.g. Retry-After). */
  readonly headers?: Record<string, string>;

  constructor(
    code: ErrorCode,
    message: string,
    options: { details?: unknown; headers?: Record<string, string>; cause?: unknown } = {},
  ) {
    super(message, { cause: options.cause });
    this.name = 'AppError';
    this.code = code;
    this.status = ERROR_STATUS[code];
    this.details = options.details;
    this.headers = options.headers;
  }

  static notFound(what = 'Resource'): AppError {
    return new AppError('NOT_FOUND', `${what} not found`);
  }
}
