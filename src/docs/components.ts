/**
 * The parts of the OpenAPI document that are not operations (openapi.ts builds those): the
 * `components` (the response schemas of ./responses.ts converted by Zod's z.toJSONSchema, the
 * error responses, the X-API-Version parameter, the security schemes) and the JSON Schema
 * helpers both use.
 */
import { z } from 'zod';
import { API_VERSION } from '../config/constants.js';
import type { ErrorStatus } from './operations.js';
import { responseComponents } from './responses.js';

export type Json = Record<string, unknown>;

/** The error responses every operation refers to, by status. */
export const ERROR_RESPONSES: Record<ErrorStatus, { name: string; description: string; code: string }> = {
  400: {
    name: 'BadRequest',
    description: 'Invalid request (VALIDATION_ERROR with the field issues)',
    code: 'VALIDATION_ERROR',
  },
  401: { name: 'Unauthorized', description: 'Missing or invalid credentials', code: 'UNAUTHORIZED' },
  403: { name: 'Forbidden', description: 'Not allowed', code: 'FORBIDDEN' },
  404: { name: 'NotFound', description: 'Not found (also for objects of other tenants)', code: 'NOT_FOUND' },
  409: { name: 'Conflict', description: 'Conflicts with the current state', code: 'CONFLICT' },
  413: { name: 'PayloadTooLarge', description: 'Body over the size limit', code: 'PAYLOAD_TOO_LARGE' },
  415: { name: 'UnsupportedMediaType', description: 'Body is not JSON', code: 'UNSUPPORTED_MEDIA_TYPE' },
  429: { name: 'TooManyRequests', description: 'Rate limited; retry after Retry-After seconds', code: 'RATE_LIMITED' },
  500: { name: 'InternalError', description: 'Unexpected error (no internals)', code: 'INTERNAL_ERROR' },
  502: { name: 'BadGateway', description: 'A provider we called failed', code: 'PAYMENT_PROVIDER_ERROR' },
  503: { name: 'ServiceUnavailable', description: 'Not configured or overloaded', code: 'SERVICE_UNAVAILABLE' },
};

export function components(): Json {
  const registry = z.registry<{ id: string }>();
  for (const [id, schema] of Object.entries(responseComponents)) registry.add(schema, { id });
  const { schemas } = z.toJSONSchema(registry, {
    target: 'draft-2020-12',
    io: 'output',
    unrepresentable: 'any',
    uri: (id) => `#/components/schemas/${id}`,
  }) as { schemas: Record<string, Json> };
  return {
    schemas: Object.fromEntries(
      Object.entries(schemas).map(([id, s]) => [id, openResponse(tidy(withoutKeys(s, ['$schema', '$id'])))]),
    ),
    responses: Object.fromEntries(
      Object.values(ERROR_RESPONSES).map(({ name, description, code }) => [
        name,
        {
          description,
          headers:
            name === 'TooManyRequests'
              ? { 'Retry-After': { description: 'seconds to wait', schema: { type: 'integer' } } }
              : undefined,
          content: {
            'application/json': {
              schema: ref('Error'),
              example: { error: { code, message: description, requestId: '0b5c5d1e-8a2f-4d7e-9c1a-3f6e2b7d9a10' } },
            },
          },
        },
      ]),
    ),
    parameters: {
      ApiVersion: {
        name: 'X-API-Version',
        in: 'header',
        required: false,
        description: 'API version; anything but 1 gets 400 UNSUPPORTED_API_VERSION.',
        schema: { type: 'string', const: API_VERSION },
      },
    },
    securitySchemes: {
      bearerAuth: {
        type: 'http',
        scheme: 'bearer',
        bearerFormat: 'JWT',
        description:
          'Dashboard sign-in: the access token from POST /auth/login or /auth/refresh-token (a JWT, 15 minutes).',
      },
      apiKey: {
        type: 'apiKey',
        in: 'header',
        name: 'X-API-Key',
        description: 'Project API key (lgk_...) in the X-API-Key header: for /llm/* and the gateway.',
      },
      apiKeyBearer: {
        type: 'http',
        scheme: 'bearer',
        description:
          'Project API key (lgk_...) as a bearer token (Authorization: Bearer lgk_...), for clients such as the ' +
          '`openai` SDK that only set Authorization. Use either this or X-API-Key.',
      },
      metricsToken: { type: 'http', scheme: 'bearer', description: 'METRICS_TOKEN, when the server sets one.' },
    },
  };
}

export const ref = (name: string) => ({ $ref: `#/components/schemas/${name}` });

/** Zod's JSON Schema (2020-12, the dialect of OpenAPI 3.1) without the $schema line. */
export function jsonSchema(schema: z.ZodType, io: 'input' | 'output'): Json {
  const json = z.toJSONSchema(schema, { target: 'draft-2020-12', io, unrepresentable: 'any' }) as Json;
  // Zod 4.6 drops the root's metadata (examples, description) in input mode when the schema holds a transform.
  const { id: _id, ...meta } = z.globalRegistry.get(schema) ?? {};
  return tidy({ ...meta, ...withoutKeys(json, ['$schema']) });
}

function withoutKeys(json: Json, keys: string[]): Json {
  return Object.fromEntries(Object.entries(json).filter(([k]) => !keys.includes(k)));
}

/**
 * Drops what only adds noise: the long regular expressions Zod adds next to a `format`
 * (date-time, ip: the format says it) and the safe-integer bounds of every `.int()`.
 */
function tidy<T>(value: T): T {
  if (Array.isArray(value)) return value.map(tidy) as T;
  if (value === null || typeof value !== 'object') return value;
  const noise = (k: string, v: unknown) =>
    (k === 'pattern' && 'format' in value) ||
    (k === 'minimum' && v === Number.MIN_SAFE_INTEGER) ||
    (k === 'maximum' && v === Number.MAX_SAFE_INTEGER);
  const entries = Object.entries(value).filter(([k, v]) => !noise(k, v));
  return Object.fromEntries(entries.map(([k, v]) => [k, tidy(v)])) as T;
}

/** Responses may gain fields (API.md: "add fields freely"): clients must not reject unknown ones. */
function openResponse<T>(value: T): T {
  if (Array.isArray(value)) return value.map(openResponse) as T;
  if (value === null || typeof value !== 'object') return value;
  const entries = Object.entries(value).filter(([k, v]) => !(k === 'additionalProperties' && v === false));
  return Object.fromEntries(entries.map(([k, v]) => [k, openResponse(v)])) as T;
}
