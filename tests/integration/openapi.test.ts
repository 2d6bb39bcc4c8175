/**
 * The OpenAPI document against the app: the same routes as the router stack (enumerated here
 * on its own, not with the builder's walker), the committed docs/openapi.json up to date, the
 * documented security enforced, and real responses of the main operations matching their
 * documented schemas.
 */
import { readFileSync } from 'node:fs';
import path from 'node:path';
import request from 'supertest';
import { beforeAll, describe, expect, it } from 'vitest';
import type { OpenApiDocument } from '../../src/docs/openapi.js';
import { OPERATIONS } from '../../src/docs/operations.js';
import { responseComponents, type ResponseName } from '../../src/docs/responses.js';
import {
  bearer,
  createProject,
  registerUser,
  STRONG_PASSWORD,
  type TestProject,
  type TestUser,
} from '../helpers/factories.js';
import { useTestApp } from '../helpers/testApp.js';

const ctx = useTestApp();
const COMMITTED = path.resolve(import.meta.dirname, '../../docs/openapi.json');
type Method = 'get' | 'post' | 'put' | 'patch' | 'delete';
type Operation = {
  summary?: string;
  operationId: string;
  parameters?: { name?: string; in?: string; $ref?: string }[];
  responses: Record<string, { $ref?: string; content?: Record<string, { schema?: { $ref?: string } }> }>;
  security?: Record<string, string[]>[];
};

let doc: OpenApiDocument;
beforeAll(async () => {
  doc = (await request(ctx.app).get('/openapi.json').expect(200)).body;
});

function operations(): { method: Method; path: string; op: Operation }[] {
  return Object.entries(doc.paths).flatMap(([p, item]) =>
    Object.entries(item).map(([method, op]) => ({ method: method as Method, path: p, op: op as unknown as Operation })),
  );
}

interface Layer {
  rawPath?: unknown;
  route?: { path: string; methods: Record<string, boolean> };
  handle?: { stack?: Layer[] };
}

/** `METHOD /path/{param}` of every route in the app's router stack. */
function routerRoutes(): string[] {
  const found: string[] = [];
  const walk = (stack: Layer[], prefix: string) => {
    for (const layer of stack) {
      if (layer.route) {
        const full = `${prefix}${layer.route.path}`.replace(/(.)\/$/, '$1');
        for (const method of Object.keys(layer.route.methods)) found.push(`${method.toUpperCase()} ${full}`);
      } else if (layer.handle?.stack) {
        walk(layer.handle.stack, layer.rawPath === '/' ? prefix : `${prefix}${String(layer.rawPath)}`);
      }
    }
  };
  walk((ctx.app as unknown as { router: { stack: Layer[] } }).router.stack, '');
  return found.map((r) => r.replace(/:(\w+)/g, '{$1}'));
}

const concrete = (p: string) => p.replace(/\{[^{}]+\}/g, 'does-not-exist');

describe('OpenAPI document', () => {
  it('should describe every field of every request, parameter and response schema', () => {
    type Schema = {
      $ref?: string;
      description?: string;
      properties?: Record<string, Schema>;
      items?: Schema;
      additionalProperties?: Schema | boolean;
      anyOf?: Schema[];
      oneOf?: Schema[];
      allOf?: Schema[];
    };
    type Parameter = { name?: string; in?: string; $ref?: string; description?: string; schema?: Schema };
    const components = (doc.components as { schemas: Record<string, Schema> }).schemas;
    const resolve = (s: Schema | undefined): Schema | undefined =>
      s?.$ref ? resolve(components[s.$ref.split('/').pop()!]) : s;
    const missing: string[] = [];
    /** Every property, at any depth (objects, array items, map values, unions), needs a description. */
    const walk = (schema: Schema | undefined, at: string): void => {
      // A component is walked once, as itself (below), not at each place that refers to it.
      if (!schema || schema.$ref) return;
      for (const s of [...(schema.anyOf ?? []), ...(schema.oneOf ?? []), ...(schema.allOf ?? [])]) walk(s, at);
      walk(schema.items, `${at}[]`);
      if (typeof schema.additionalProperties === 'object') walk(schema.additionalProperties, `${at}{}`);
      for (const [name, prop] of Object.entries(schema.properties ?? {})) {
        if (!prop.description && !resolve(prop)?.description) missing.push(`${at}.${name}`);
        walk(prop, `${at}.${name}`);
      }
    };
    for (const [name, schema] of Object.entries(components)) walk(schema, `#${name}`);
    for (const { method, path: p, op } of operations()) {
      const route = `${method.toUpperCase()} ${p}`;
      const body = (op as { requestBody?: { content?: Record<string, { schema?: Schema }> } }).requestBody;
      walk(body?.content?.['application/json']?.schema, `${route} body`);
      for (const [status, response] of Object.entries(op.responses)) {
        walk(response.content?.['application/json']?.schema as Schema | undefined, `${route} ${status}`);
      }
      for (const param of (op.parameters ?? []) as Parameter[]) {
        if (!param.$ref && !param.description && !param.schema?.description) {
          missing.push(`${route} ${param.in} ${param.name}`);
        }
      }
    }
    expect(operations().length).toBeGreaterThan(80);
    expect(missing).toEqual([]);
  });

  it('should serve an OpenAPI 3.1 document at /openapi.json without credentials', async () => {
    const res = await request(ctx.app).get('/openapi.json');
    expect(res.status).toBe(200);
    expect(res.headers['content-type']).toMatch(/^application\/json/);
    expect(res.body).toMatchObject({
      openapi: '3.1.0',
      info: { title: expect.any(String), version: '1' },
      components: {
        securitySchemes: { bearerAuth: { scheme: 'bearer' }, apiKey: { in: 'header', name: 'X-API-Key' } },
      },
    });
  });

  it('should document exactly the routes of the router stack', () => {
    const documented = operations().map(({ method, path: p }) => `${method.toUpperCase()} ${p}`);
    const routes = [...new Set(routerRoutes())];
    expect(routes.length).toBeGreaterThan(40);
    expect({ missingFromDocument: routes.filter((r) => !documented.includes(r)) }).toEqual({ missingFromDocument: [] });
    expect({ notInRouter: documented.filter((r) => !routes.includes(r)) }).toEqual({ notInRouter: [] });
  });

  it('should match the committed docs/openapi.json', () => {
    const committed: unknown = JSON.parse(readFileSync(COMMITTED, 'utf8'));
    expect(committed, 'docs/openapi.json is out of date: run `npm run docs:openapi` and commit the result').toEqual(
      doc,
    );
  });

  it('should reach a handler (not the catch-all 404) for every documented operation', async () => {
    for (const { method, path: p } of operations()) {
      const res = await request(ctx.app)[method](concrete(p));
      expect({
        route: `${method} ${p}`,
        catchAll: String(res.body?.error?.message ?? '').startsWith('No route for'),
      }).toEqual({
        route: `${method} ${p}`,
        catchAll: false,
      });
    }
  });

  it('should answer 401 without credentials on every operation documented as authenticated', async () => {
    const secured = operations().filter(
      ({ op }) => op.security?.length && !op.security.some((s) => Object.keys(s).length === 0),
    );
    expect(secured.length).toBeGreaterThan(30);
    for (const { method, path: p } of secured) {
      const res = await request(ctx.app)[method](concrete(p)).send({});
      expect({ route: `${method} ${p}`, status: res.status }).toEqual({ route: `${method} ${p}`, status: 401 });
    }
  });

  it('should declare every path parameter, a summary, unique operation ids and resolvable references', () => {
    const ids = new Set<string>();
    for (const { method, path: p, op } of operations()) {
      const declared = (op.parameters ?? []).filter((x) => x.in === 'path').map((x) => x.name);
      expect({ route: `${method} ${p}`, params: declared }).toEqual({
        route: `${method} ${p}`,
        params: [...p.matchAll(/\{([^{}]+)\}/g)].map((m) => m[1]),
      });
      expect(op.summary, `${method} ${p}`).toBeTruthy();
      expect(ids.has(op.operationId), `duplicate operationId ${op.operationId}`).toBe(false);
      ids.add(op.operationId);
    }
    const refs = [...JSON.stringify(doc).matchAll(/"\$ref":"#\/([^"]+)"/g)].map((m) => m[1] as string);
    const unresolved = refs.filter(
      (ref) =>
        ref.split('/').reduce<unknown>((node, key) => (node as Record<string, unknown>)?.[key], doc) === undefined,
    );
    expect(unresolved).toEqual([]);
  });

  it('should keep summaries only for routes that exist', () => {
    const documented = new Set(operations().map(({ method, path: p }) => `${method.toUpperCase()} ${p}`));
    expect(Object.keys(OPERATIONS).filter((key) => !documented.has(key))).toEqual([]);
  });

  it('should list the main operations with request schemas and examples from the validators', () => {
    const ingest = doc.paths['/api/v1/llm/request']?.post as Record<string, never> | undefined;
    expect(ingest).toMatchObject({
      security: [{ apiKey: [] }, { apiKeyBearer: [] }],
      requestBody: {
        required: true,
        content: {
          'application/json': {
            // prompt or messages: exactly one of them (checked by the validator, 400 otherwise)
            schema: {
              required: ['model', 'latencyMs'],
              properties: { prompt: expect.any(Object), messages: expect.any(Object) },
            },
            example: { model: 'gpt-4o', latencyMs: 812 },
          },
        },
      },
      responses: {
        '201': { content: { 'application/json': { schema: { $ref: '#/components/schemas/IngestResponse' } } } },
      },
    });
    expect(doc.paths['/api/v1/webhooks/datadog']?.post).not.toHaveProperty('security');
    expect(doc.paths['/api/v1/incidents/{id}/apply-remediation']?.post).toMatchObject({
      requestBody: {
        content: { 'application/json': { schema: { oneOf: expect.any(Array) }, example: { action: 'switch_model' } } },
      },
    });
  });
});

describe('documented responses', () => {
  let user: TestUser;
  let project: TestProject;

  beforeAll(async () => {
    user = await registerUser(ctx.app);
    project = await createProject(ctx.app, user);
  });

  /** Calls an operation and checks the status and body against what the document says. */
  async function call(
    method: Method,
    openApiPath: string,
    options: { path?: string; query?: object; body?: object; headers?: Record<string, string> } = {},
  ) {
    const op = doc.paths[openApiPath]?.[method] as unknown as Operation;
    expect(op, `${method} ${openApiPath} is documented`).toBeDefined();
    const [status, response] = Object.entries(op.responses).find(([code]) => code.startsWith('2')) ?? [];
    const agent = request(ctx.app);
    const res = await agent[method](options.path ?? openApiPath)
      .query(options.query ?? {})
      .set(options.headers ?? bearer(user.accessToken))
      .send(options.body);
    expect({ op: `${method} ${openApiPath}`, status: res.status }, JSON.stringify(res.body)).toEqual({
      op: `${method} ${openApiPath}`,
      status: Number(status),
    });
    const ref = response?.content?.['application/json']?.schema?.$ref;
    if (ref) {
      const name = ref.split('/').pop() as ResponseName;
      const parsed = responseComponents[name].safeParse(res.body);
      expect({ op: `${method} ${openApiPath}`, schema: name, issues: parsed.error?.issues ?? [] }).toEqual({
        op: `${method} ${openApiPath}`,
        schema: name,
        issues: [],
      });
    }
    return res.body;
  }

  it('should answer auth and project operations as documented', async () => {
    const p = `/api/v1/projects/${project.id}`;
    await call('post', '/api/v1/auth/login', { body: { email: user.email, password: STRONG_PASSWORD }, headers: {} });
    await call('post', '/api/v1/auth/refresh-token', { body: { refreshToken: user.refreshToken }, headers: {} });
    await call('get', '/api/v1/settings/profile');
    await call('get', '/api/v1/projects');
    await call('get', '/api/v1/projects/{id}', { path: p });
    await call('get', '/api/v1/projects/{id}/api-keys', { path: `${p}/api-keys` });
    const { apiKey } = await call('post', '/api/v1/projects/{id}/api-keys/create', {
      path: `${p}/api-keys/create`,
      body: { name: 'ci' },
    });
    await call('post', '/api/v1/projects/{id}/api-keys/rotate', {
      path: `${p}/api-keys/rotate`,
      body: { apiKeyId: apiKey.id },
    });
  });

  it('should answer ingestion, logs and metrics as documented', async () => {
    const sdk = { 'X-API-Key': project.apiKey };
    await call('get', '/api/v1/llm/whoami', { headers: sdk });
    const example = {
      model: 'gpt-4o',
      prompt: 'Mail ada@example.com the summary',
      latencyMs: 812,
      promptTokens: 120,
      completionTokens: 80,
    };
    const ingested = await call('post', '/api/v1/llm/request', { headers: sdk, body: example });
    await call('post', '/api/v1/llm/check', { headers: sdk, body: { model: 'gpt-4o', prompt: example.prompt } });
    await call('post', '/api/v1/llm/check', {
      headers: sdk,
      body: { model: 'gpt-4o', messages: [{ role: 'user', content: example.prompt }] },
    });
    await call('get', '/api/v1/logs', { query: { projectId: project.id } });
    await call('get', '/api/v1/logs/{id}', { path: `/api/v1/logs/${ingested.id}` });
    await call('get', '/api/v1/metrics', { query: { projectId: project.id } });
  });

  it('should answer incident operations as documented', async () => {
    const incident = await ctx.prisma.incident.create({
      data: {
        projectId: project.id,
        type: 'latency',
        severity: 'high',
        title: 'Latency spike on chat',
        endpoint: 'chat',
      },
    });
    const i = `/api/v1/incidents/${incident.id}`;
    await call('get', '/api/v1/incidents', { query: { projectId: project.id } });
    await call('get', '/api/v1/incidents/{id}', { path: i });
    await call('post', '/api/v1/incidents/{id}/apply-remediation', {
      path: `${i}/apply-remediation`,
      body: { action: 'switch_model', params: { from: 'gpt-4o', to: 'gpt-4o-mini' } },
    });
    await call('get', '/api/v1/incidents/{id}/remediations', { path: `${i}/remediations` });
    await call('post', '/api/v1/incidents/{id}/resolve', { path: `${i}/resolve`, body: { note: 'fixed' } });
  });

  it('should answer errors with the documented error shape', async () => {
    const res = await request(ctx.app).get('/api/v1/projects/does-not-exist').set(bearer(user.accessToken));
    expect(res.status).toBe(404);
    expect(responseComponents.Error.safeParse(res.body).error?.issues ?? []).toEqual([]);
  });
});
