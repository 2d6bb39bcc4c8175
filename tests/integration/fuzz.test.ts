/**
 * Property-based fuzzing of every route (fast-check, seeded and bounded): generated bodies,
 * queries, path ids and headers — wrong types, huge and unicode strings, NUL bytes, deep
 * nesting, duplicate keys, numbers at the edges. Never a 5xx, every error is the JSON error
 * shape with a code, and a rejected request changes no row. FUZZ_RUNS raises the run count
 * (`npm run fuzz`).
 */
import fc from 'fast-check';
import request from 'supertest';
import { beforeAll, describe, expect, it } from 'vitest';
import {
  bearer,
  createProject,
  registerUser,
  upgradeUser,
  type TestProject,
  type TestUser,
} from '../helpers/factories.js';
import { listRoutes, type RouteInfo } from '../helpers/routes.js';
import { useTestApp } from '../helpers/testApp.js';

const RUNS = Number(process.env.FUZZ_RUNS ?? 8);
const SEED = Number(process.env.FUZZ_SEED ?? 20261121);
const ctx = useTestApp({ openai: null });
let user: TestUser;
let project: TestProject;

beforeAll(async () => {
  user = await registerUser(ctx.app);
  await upgradeUser(ctx.prisma, user.id);
  project = await createProject(ctx.app, user);
});

const edgeNumber = fc.constantFrom(
  0,
  -0,
  -1,
  1e308,
  -1e308,
  Number.MAX_SAFE_INTEGER + 2,
  2 ** 31,
  -(2 ** 31),
  0.5,
  1e-320,
);
const nasty = fc.oneof(
  fc.string({ unit: 'binary', maxLength: 40 }),
  fc.constantFrom(
    '\u0000',
    'a\u0000b',
    '\ud800',
    '💥'.repeat(50),
    '<script>alert(1)</script>',
    "' OR 1=1 --",
    '../../etc/passwd',
    '%00',
    '{{7*7}}',
  ),
  fc.string({ minLength: 5000, maxLength: 20000 }),
);
const deep = fc.integer({ min: 50, max: 2000 }).map((depth) => {
  let v: unknown = 'leaf';
  for (let i = 0; i < depth; i++) v = i % 2 ? [v] : { a: v };
  return v;
});
const value: fc.Arbitrary<unknown> = fc.oneof(
  nasty,
  edgeNumber,
  fc.boolean(),
  fc.constant(null),
  fc.jsonValue({ maxDepth: 3 }),
  deep,
);
const knownKeys = fc.constantFrom(
  'email',
  'password',
  'name',
  'model',
  'prompt',
  'latencyMs',
  'projectId',
  'apiKeyId',
  'action',
  'params',
  'threshold',
  'safetyThreshold',
  'piiMode',
  'plan',
  'refreshToken',
  'code',
  'role',
  'metadata',
  'expiresAt',
  'gracePeriodSeconds',
  'note',
  '__proto__',
  'constructor',
);
const body = fc.oneof(
  fc.dictionary(fc.oneof(knownKeys, fc.string({ maxLength: 10 })), value, { maxKeys: 8 }).map((o) => JSON.stringify(o)),
  value.map((v) => JSON.stringify(v) ?? 'null'),
  fc.constantFrom(
    '{"email":"a@b.co","email":{"$gt":""}}',
    '{"a":1,"a":2}',
    '{',
    '[]',
    '""',
    'null',
    '{"model":"x","prompt":"y","latencyMs":1,"latencyMs":"z"}',
  ),
);
const query = fc.dictionary(
  fc.oneof(
    knownKeys,
    fc.constantFrom('page', 'limit', 'from', 'to', 'sort', 'order', 'q', 'minRisk', 'status', 'granularity'),
  ),
  fc.oneof(nasty.map(String), edgeNumber.map(String)),
  { maxKeys: 5 },
);
const pathId = fc.oneof(fc.string({ maxLength: 80 }), fc.constantFrom('0', '-1', 'null', '%00', '../x', 'ａ', '1e308'));
const headers = fc.record(
  {
    'X-API-Version': fc.constantFrom('1', '2', '', 'v1', '1\u0000'),
    'X-Request-Id': fc.string({ maxLength: 300 }),
    'Content-Type': fc.constantFrom(
      'application/json',
      'application/json; charset=utf-8',
      'text/plain',
      'application/x-www-form-urlencoded',
      'application/json; charset=latin1',
    ),
  },
  { requiredKeys: ['Content-Type'] },
);

async function rowCounts(): Promise<string> {
  const rows = await ctx.prisma.$queryRawUnsafe<Record<string, bigint>[]>(`SELECT
    (SELECT count(*) FROM users) u, (SELECT count(*) FROM projects) p, (SELECT count(*) FROM api_keys) k,
    (SELECT count(*) FROM llm_requests) r, (SELECT count(*) FROM incidents) i, (SELECT count(*) FROM remediation_actions) ra,
    (SELECT count(*) FROM refresh_token_families) f, (SELECT count(*) FROM subscriptions) s, (SELECT count(*) FROM invoices) inv,
    (SELECT max("updatedAt") FROM projects) pu, (SELECT max("updatedAt") FROM users) uu`);
  return JSON.stringify(rows[0], (_k, v: unknown) => (typeof v === 'bigint' ? v.toString() : v));
}

const sane = (v: string) => v.replace(/[^\x20-\x7e]/g, '');

function buildUrl(route: RouteInfo, id: string, q: Record<string, string>): string {
  const path = route.path.replace(/:[a-zA-Z]+/g, () => encodeURIComponent(id) || 'x');
  const params = new URLSearchParams({ projectId: project.id, ...q });
  return `${path}?${params.toString()}`;
}

describe('fuzzing every route', () => {
  const routes = () => listRoutes(ctx.app).filter((r) => r.path !== '/docs' && r.path !== '/metrics');

  it('should never answer 5xx, always the JSON error shape, and change no row when rejecting', async () => {
    const failures: string[] = [];
    const statuses = new Map<number, number>();
    for (const route of routes()) {
      await fc.assert(
        fc.asyncProperty(body, query, pathId, headers, async (raw, q, id, hdrs) => {
          const before = await rowCounts();
          const url = buildUrl(route, id, q);
          const r = request(ctx.app)[route.method](url).set(bearer(user.accessToken)).set('X-API-Key', project.apiKey);
          for (const [k, v] of Object.entries(hdrs)) r.set(k, sane(String(v)));
          const res = route.method === 'get' || route.method === 'delete' ? await r : await r.send(raw);
          const where = `${route.method.toUpperCase()} ${route.path} -> ${res.status}`;
          if (process.env.FUZZ_DEBUG) statuses.set(res.status, (statuses.get(res.status) ?? 0) + 1);
          if (res.status >= 500 && res.status !== 503) failures.push(`${where}: ${res.text.slice(0, 200)}`);
          if (res.status >= 400) {
            const err = res.body?.error;
            if (route.path.startsWith('/v1/')) {
              // The gateway answers in OpenAI's error shape so the official SDKs raise their own errors.
              if (
                !err ||
                typeof err.message !== 'string' ||
                typeof err.type !== 'string' ||
                !(err.code === null || /^[a-z_]+$/.test(err.code)) ||
                (res.status < 500 && err.type === 'server_error')
              ) {
                failures.push(`${where}: not OpenAI's error shape: ${res.text.slice(0, 200)}`);
              }
            } else if (
              !err ||
              typeof err.code !== 'string' ||
              !/^[A-Z_]+$/.test(err.code) ||
              typeof err.requestId !== 'string'
            ) {
              failures.push(`${where}: not the JSON error shape: ${res.text.slice(0, 200)}`);
            }
            if (/at \w+ \(|node_modules|\.ts:\d+/.test(res.text)) failures.push(`${where}: stack trace leaked`);
            const after = await rowCounts();
            if (after !== before && !/\/auth\//.test(route.path))
              failures.push(`${where}: rejected request changed rows`);
          }
        }),
        { numRuns: RUNS, seed: SEED, endOnFailure: true },
      );
    }
    if (process.env.FUZZ_DEBUG) console.log(Object.fromEntries(statuses));
    expect(failures).toEqual([]);
  }, 600_000);

  /** Issue 24, item 8: ordinary bad input that gave 500s, sent to every route (not left to chance). */
  it('should answer 400 to NUL bytes and 10,000-deep JSON on every route, and never 5xx to a dash-only q', async () => {
    const NUL = 'a\u0000b';
    // built as text: JSON.stringify of it would overflow this worker's stack
    const deep10k = `${'{"k":'.repeat(10_000)}1${'}'.repeat(10_000)}`;
    const nulFields = Object.fromEntries(
      ['projectId', 'model', 'name', 'apiKeyId', 'title', 'id', 'prompt', 'email'].map((k) => [k, NUL]),
    );
    const shapes: {
      label: string;
      id?: string;
      q?: Record<string, string>;
      body?: string;
      expected: 'bad' | 'no5xx';
    }[] = [
      { label: 'NUL in the path id', id: NUL, expected: 'bad' },
      ...['projectId', 'model', 'q', 'name', 'apiKeyId'].map((k) => ({
        label: `NUL in ?${k}`,
        q: { [k]: NUL },
        expected: 'bad' as const,
      })),
      { label: 'NUL in body fields', body: JSON.stringify(nulFields), expected: 'bad' },
      {
        label: 'NUL in a metadata key',
        body: JSON.stringify({ model: 'm', prompt: 'p', latencyMs: 1, metadata: { [NUL]: 1 } }),
        expected: 'bad',
      },
      {
        label: 'metadata nested 10,000 deep',
        body: `{"model":"m","prompt":"p","latencyMs":1,"metadata":${deep10k}}`,
        expected: 'bad',
      },
      { label: '40 dashes in ?q', q: { q: '-'.repeat(40) }, expected: 'no5xx' },
    ];
    const failures: string[] = [];
    for (const route of routes()) {
      const hasBody = route.method !== 'get' && route.method !== 'delete';
      for (const shape of shapes) {
        if (shape.body !== undefined && !hasBody) continue;
        if (shape.id !== undefined && !route.path.includes(':')) continue;
        const url = buildUrl(route, shape.id ?? 'x', shape.q ?? {});
        const agent = request(ctx.app);
        const r = agent[route.method](url)
          .set(bearer(user.accessToken))
          .set('X-API-Key', project.apiKey)
          .set('Content-Type', 'application/json');
        const res = hasBody ? await r.send(shape.body ?? '{}') : await r;
        const where = `${route.method.toUpperCase()} ${route.path} (${shape.label}) -> ${res.status}`;
        if (res.status >= 500 && res.status !== 503) failures.push(`${where}: ${res.text.slice(0, 200)}`);
        else if (shape.expected === 'bad' && res.status !== 400) failures.push(`${where}: expected 400`);
      }
    }
    expect(failures).toEqual([]);
  }, 600_000);
});
