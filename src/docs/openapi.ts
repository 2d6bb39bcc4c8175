/**
 * The OpenAPI 3.1 document of an app, built from what the app really serves: its router stack
 * (every route, with the Zod schemas validate() checks it with, converted by Zod's own
 * z.toJSONSchema), the summaries of ./operations.ts and the components of ./components.ts (the
 * response schemas of ./responses.ts, the error responses, the security schemes).
 */
import type { Express } from 'express';
import type { z } from 'zod';
import { API_PREFIX, API_VERSION, DEFAULT_PAGE_SIZE, MAX_PAGE_SIZE } from '../config/constants.js';
import {
  AUTH_RULES,
  OPERATIONS,
  PATH_PARAMETERS,
  TAGS,
  type Auth,
  type ErrorStatus,
  type OperationDoc,
} from './operations.js';
import { components, ERROR_RESPONSES, type Json, jsonSchema, ref } from './components.js';
import { HTTP_METHODS, listRoutes, pathParams, type AppRoute } from './routes.js';

export interface OpenApiDocument {
  openapi: '3.1.0';
  info: Json;
  tags: { name: string; description?: string }[];
  paths: Record<string, Record<string, Json>>;
  components: Json;
}

const SECURITY: Record<Auth, Json[] | undefined> = {
  none: undefined,
  bearer: [{ bearerAuth: [] }],
  admin: [{ bearerAuth: [] }],
  apiKey: [{ apiKey: [] }, { apiKeyBearer: [] }],
  apiKeyOrBearer: [{ apiKey: [] }, { apiKeyBearer: [] }, { bearerAuth: [] }],
  // `{}` first: the token is optional (only when the server is configured with one)
  metricsToken: [{}, { metricsToken: [] }],
};

const DESCRIPTION = [
  'LLMGuard Cloud watches the LLM calls of your apps: risk (prompt injection, PII, secrets), cost, latency ' +
    'and errors, with incidents and remediations when something goes wrong.',
  '',
  '### When to call what',
  '',
  '- **Gateway** (`/v1/chat/completions`): point the `openai` SDK at `https://<host>/v1` with the project API ' +
    'key. Policy applies in the path of the call, nothing else to do.',
  '- **Report after the call** (`POST /llm/request`): when calls cannot go through the gateway, report each ' +
    'one after the model answered, then act on `decision`, `effectiveModel`, `systemPrompt` and `redactedPrompt`.',
  '- **Check before the call** (`POST /llm/check`): the decision for a prompt without calling a model and ' +
    'without storing anything.',
  '- **Dashboard** (`/logs`, `/metrics`, `/incidents`): signed in with `POST /auth/login`.',
  '',
  '### Chat messages',
  '',
  'Send the `messages` array exactly as the `openai` SDK has it, instead of `prompt` (exactly one of the two). ' +
    'Each user, tool and assistant message is scored for prompt injection; system and developer messages are ' +
    'your own instructions and are only checked for PII and secrets. Messages are stored with their roles.',
  '',
  '### Decisions',
  '',
  '- `allow`: nothing found and nothing changed: serve the call.',
  '- `flag`: serve it, but it needs a look (a finding such as an injection, PII or a secret, medium risk or ' +
    'more, or a model outside the allowed models replaced by the fallback).',
  "- `block`: do not serve it as sent (risk at or above the project's safety threshold, or PII while " +
    '`piiMode` is `block`).',
  '',
  '### Conventions',
  '',
  `Everything is JSON under \`${API_PREFIX}\`; times are ISO-8601 strings, ids are strings.`,
  '',
  '- Dashboard calls: `Authorization: Bearer <accessToken>` (a JWT from `/auth/login`, valid 15 minutes).',
  '- SDK calls (`/llm/*`): `X-API-Key: <key>` or `Authorization: Bearer <key>`.',
  '- Every response carries `X-Request-Id` and `X-API-Version: 1`; a request with another `X-API-Version` gets 400.',
  '- Errors: `{ "error": { "code", "message", "details"?, "requestId" } }`.',
  `- Lists: \`{ data, page, limit, total }\` with \`?page=&limit=\` (limit at most ${MAX_PAGE_SIZE}, default ${DEFAULT_PAGE_SIZE}).`,
].join('\n');

/** Builds the document from the app's routes; call it after every route is mounted. */
export function buildOpenApiDocument(app: Express): OpenApiDocument {
  const paths: OpenApiDocument['paths'] = {};
  const usedTags = new Set<string>();
  const seen = new Set<string>();
  const operationIds = new Set<string>();
  for (const route of listRoutes(app)) {
    const key = `${route.method.toUpperCase()} ${route.openApiPath}`;
    if (seen.has(key)) continue; // Express runs the first registration; later ones are unreachable
    seen.add(key);
    const operation = buildOperation(route, OPERATIONS[key]);
    // e.g. GET /metrics and GET /api/v1/metrics: the later one keeps the prefix in its id.
    if (operationIds.has(operation.operationId as string)) operation.operationId = operationId(route, true);
    operationIds.add(operation.operationId as string);
    usedTags.add((operation.tags as string[])[0] as string);
    (paths[route.openApiPath] ??= {})[route.method] = operation;
  }
  return {
    openapi: '3.1.0',
    info: { title: 'LLMGuard Cloud API', version: API_VERSION, description: DESCRIPTION },
    tags: [
      ...TAGS.filter((t) => usedTags.has(t.name)),
      ...[...usedTags]
        .filter((name) => !TAGS.some((t) => t.name === name))
        .sort()
        .map((name) => ({ name })),
    ],
    paths: sortPaths(paths),
    components: components(),
  };
}

/** The document as committed in docs/openapi.json. */
export function serializeOpenApi(doc: OpenApiDocument): string {
  return `${JSON.stringify(doc, null, 2)}\n`;
}

export function authOf(path: string): Auth {
  const rule = AUTH_RULES.find((r) => path.startsWith(r.prefix) || `${path}/` === r.prefix);
  return rule?.auth ?? 'none';
}

/** Tags whose path segment does not read well as a heading. */
const TAG_NAMES: Record<string, string> = { llm: 'LLM calls' };

export function tagOf(path: string, doc?: OperationDoc): string {
  if (doc?.tag) return doc.tag;
  if (path.startsWith(`${API_PREFIX}/`)) {
    const segment = path.slice(API_PREFIX.length + 1).split('/')[0] as string;
    return TAG_NAMES[segment] ?? segment;
  }
  return 'operations';
}

function buildOperation(route: AppRoute, doc: OperationDoc | undefined): Json {
  const { schemas } = route;
  const auth = doc?.auth ?? authOf(route.path);
  const body = doc?.body ?? schemas.body;
  const query = schemas.query ? jsonSchema(schemas.query, 'input') : {};
  const parameters = [
    ...pathParameters(route),
    ...queryParameters(query),
    ...(doc?.headers ?? []).map((h) => ({
      name: h.name,
      in: 'header',
      required: h.required,
      description: h.description,
      schema: { type: 'string' },
    })),
    ...(route.path.startsWith(`${API_PREFIX}/`) ? [{ $ref: '#/components/parameters/ApiVersion' }] : []),
  ];
  const errors = new Set<ErrorStatus>(doc?.errors ?? []);
  if (schemas.body || schemas.query || schemas.params || doc?.body) errors.add(400);
  if (auth === 'bearer' || auth === 'admin' || auth === 'apiKey' || auth === 'apiKeyOrBearer') errors.add(401).add(429);
  if (auth === 'admin') errors.add(403);
  if (route.path.startsWith(`${API_PREFIX}/auth/`)) errors.add(429);
  if (pathParams(route.openApiPath).length > 0 || 'projectId' in ((query.properties as Json) ?? {})) errors.add(404);
  if (body) errors.add(413).add(415);
  errors.add(500);

  const description = [doc?.description, auth === 'admin' ? 'Needs the admin role.' : undefined]
    .filter(Boolean)
    .join('\n\n');
  return {
    tags: [tagOf(route.path, doc)],
    summary: doc?.summary ?? humanize(route.handlerName) ?? `${route.method.toUpperCase()} ${route.openApiPath}`,
    ...(description ? { description } : {}),
    operationId: doc?.operationId ?? operationId(route),
    ...(parameters.length ? { parameters } : {}),
    ...(body ? { requestBody: requestBody(body) } : {}),
    responses: {
      ...successResponse(doc),
      ...Object.fromEntries(
        [...errors]
          .sort((a, b) => a - b)
          .map((s) => [String(s), { $ref: `#/components/responses/${ERROR_RESPONSES[s].name}` }]),
      ),
    },
    ...(SECURITY[auth] ? { security: SECURITY[auth] } : {}),
  };
}

function pathParameters(route: AppRoute): Json[] {
  const declared = route.schemas.params ? jsonSchema(route.schemas.params, 'input') : {};
  const props = (declared.properties ?? {}) as Record<string, Json>;
  const segments = route.openApiPath.split('/');
  return pathParams(route.openApiPath).map((name) => {
    const { description: own, ...schema } = props[name] ?? { type: 'string' };
    const before = segments[segments.indexOf(`{${name}}`) - 1];
    const description = (own as string | undefined) ?? PATH_PARAMETERS[`${before}/{${name}}`];
    return { name, in: 'path', required: true, ...(description ? { description } : {}), schema };
  });
}

/** One parameter per property of the query schema (already JSON Schema). */
function queryParameters(json: Json): Json[] {
  const required = new Set((json.required as string[] | undefined) ?? []);
  return Object.entries((json.properties ?? {}) as Record<string, Json>).map(([name, prop]) => {
    const { description, ...rest } = prop;
    return { name, in: 'query', required: required.has(name), ...(description ? { description } : {}), schema: rest };
  });
}

function requestBody(body: z.ZodType | 'json'): Json {
  if (body === 'json') return { required: true, content: { 'application/json': { schema: { type: 'object' } } } };
  const schema = jsonSchema(body, 'input');
  const example = Array.isArray(schema.examples) ? schema.examples[0] : undefined;
  return {
    // validate() parses a missing body as {}: the body is required only when {} is refused.
    required: !body.safeParse({}).success,
    content: { 'application/json': { schema, ...(example !== undefined ? { example } : {}) } },
  };
}

function successResponse(doc: OperationDoc | undefined): Json {
  const success = doc?.success;
  if (!success) return { '2XX': { description: 'Success', content: { 'application/json': { schema: {} } } } };
  const description = success.description ?? (success.status === 204 ? 'No content' : 'Success');
  if (success.body === 'empty') return { [success.status]: { description } };
  const content =
    success.body === 'html' || success.body === 'text'
      ? { [success.body === 'html' ? 'text/html' : 'text/plain']: { schema: { type: 'string' } } }
      : { 'application/json': { schema: success.body === 'json' ? { type: 'object' } : ref(success.body) } };
  return { [success.status]: { description, content } };
}

function sortPaths(paths: OpenApiDocument['paths']): OpenApiDocument['paths'] {
  const sorted: OpenApiDocument['paths'] = {};
  for (const path of Object.keys(paths).sort()) {
    const item = paths[path] as Record<string, Json>;
    sorted[path] = Object.fromEntries(HTTP_METHODS.filter((m) => item[m]).map((m) => [m, item[m] as Json]));
  }
  return sorted;
}

/** `post /api/v1/projects/{id}/api-keys/rotate` -> `postProjectsByIdApiKeysRotate`. */
function operationId(route: AppRoute, withPrefix = false): string {
  const words = (withPrefix ? route.openApiPath : route.openApiPath.replace(API_PREFIX, ''))
    .split(/[/.-]/)
    .filter(Boolean)
    .map((w) => (w.startsWith('{') ? `by_${w.slice(1, -1)}` : w))
    .flatMap((w) => w.split('_'));
  return route.method + words.map((w) => w.charAt(0).toUpperCase() + w.slice(1)).join('');
}

/** `applyRemediation` -> `Apply remediation`; undefined for anonymous handlers. */
function humanize(name: string): string | undefined {
  if (!name || name === '<anonymous>' || name === 'handle') return undefined;
  const words = name.replace(/([a-z0-9])([A-Z])/g, '$1 $2').toLowerCase();
  return words.charAt(0).toUpperCase() + words.slice(1);
}
