/**
 * The routes an Express 5 app serves, read from its router stack: method, full path and the
 * schemas of the validate() middleware in front of the controller. A route added anywhere in
 * the app is found here without being registered twice.
 */
import type { Express } from 'express';
import { requestSchemasOf, type RequestSchemas } from '../middleware/validate.js';

export const HTTP_METHODS = ['get', 'post', 'put', 'patch', 'delete'] as const;
export type HttpMethod = (typeof HTTP_METHODS)[number];

export interface AppRoute {
  method: HttpMethod;
  /** Express path, e.g. `/api/v1/projects/:id` */
  path: string;
  /** The same path in OpenAPI form, e.g. `/api/v1/projects/{id}` */
  openApiPath: string;
  /** Merged schemas of the validate() middlewares on the way to the controller. */
  schemas: RequestSchemas;
  /** Name of the last handler (the controller method), e.g. `applyRemediation`. */
  handlerName: string;
}

/** The parts of router@2's Layer and Route this reads. */
interface Layer {
  name?: string;
  /** the path given to use()/route(); router@2 keeps it as `rawPath` */
  rawPath?: unknown;
  handle?: { stack?: Layer[] };
  route?: { path: unknown; methods: Record<string, boolean | undefined>; stack: Layer[] };
}

/** Every route of the app in registration order. */
export function listRoutes(app: Express): AppRoute[] {
  const router = (app as unknown as { router?: { stack: Layer[] } }).router;
  if (!router) return [];
  const routes: AppRoute[] = [];
  walk(router.stack, '', {}, routes);
  return routes;
}

function walk(stack: Layer[], prefix: string, inherited: RequestSchemas, out: AppRoute[]): void {
  let schemas = inherited;
  for (const layer of stack) {
    if (layer.route) {
      out.push(...routesOf(layer.route, prefix, schemas));
    } else if (layer.handle?.stack) {
      walk(layer.handle.stack, join(prefix, pathOf(layer.rawPath)), schemas, out);
    } else {
      // router.use(validate(...)) applies to every route registered after it.
      const own = requestSchemasOf(layer.handle);
      if (own) schemas = { ...schemas, ...own };
    }
  }
}

function routesOf(route: NonNullable<Layer['route']>, prefix: string, inherited: RequestSchemas): AppRoute[] {
  const paths = Array.isArray(route.path) ? route.path.flat(Infinity) : [route.path];
  const handlers = route.stack.map((l) => l.handle);
  const schemas = handlers.reduce<RequestSchemas>((acc, h) => ({ ...acc, ...requestSchemasOf(h) }), inherited);
  const handlerName = route.stack.at(-1)?.name ?? '';
  const methods = HTTP_METHODS.filter((m) => route.methods[m]);
  return paths.flatMap((p) => {
    const path = join(prefix, pathOf(p));
    return methods.map((method) => ({ method, path, openApiPath: toOpenApiPath(path), schemas, handlerName }));
  });
}

function pathOf(raw: unknown): string {
  if (typeof raw !== 'string') {
    throw new Error(`Cannot document a route or mount with a non-string path (${String(raw)}): use a string path`);
  }
  return raw;
}

function join(prefix: string, path: string): string {
  const joined = (prefix + (path === '/' ? '' : path)).replace(/\/{2,}/g, '/');
  return joined === '' ? '/' : joined.length > 1 ? joined.replace(/\/$/, '') : joined;
}

/** `/projects/:id` -> `/projects/{id}`; `/files/*rest` -> `/files/{rest}`. */
export function toOpenApiPath(path: string): string {
  if (/[{}()?]/.test(path)) {
    throw new Error(`Cannot document ${path}: optional groups and regular expressions have no OpenAPI form`);
  }
  return path.replace(/[:*]([A-Za-z_$][\w$]*)/g, '{$1}');
}

/** Names of the `{param}`s of an OpenAPI path, in order. */
export function pathParams(openApiPath: string): string[] {
  return [...openApiPath.matchAll(/\{([^{}]+)\}/g)].map((m) => m[1] as string);
}

/**
 * The names of the handlers a request for `method path` passes through, in order: the app's
 * middleware, the routers' middleware on the way and the route's own handlers (a function's
 * name, `<anonymous>` when it has none). Paths are matched literally (no parameters): it serves
 * to compare a fixed route's chain with what another path (the ingest direct path) runs.
 */
export function handlerChain(app: Express, method: HttpMethod, path: string): string[] {
  const router = (app as unknown as { router?: { stack: Layer[] } }).router;
  const out: string[] = [];
  const visit = (stack: Layer[], prefix: string) => {
    for (const layer of stack) {
      if (layer.route) {
        if (layer.route.methods[method] && join(prefix, pathOf(layer.route.path)) === path) {
          out.push(...layer.route.stack.map((l) => l.name || '<anonymous>'));
        }
        continue;
      }
      const mount = typeof layer.rawPath === 'string' ? join(prefix, layer.rawPath) : prefix || '/';
      const within = mount === '/' || path === mount || path.startsWith(`${mount}/`);
      if (!within) continue;
      if (layer.handle?.stack) visit(layer.handle.stack, mount === '/' ? '' : mount);
      else out.push(layer.name || '<anonymous>');
    }
  };
  if (router) visit(router.stack, '');
  return out;
}
