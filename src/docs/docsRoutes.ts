import path from 'node:path';
import { Router, type Express } from 'express';
import { DOCS_CSP, DOCS_HTML, DOCS_INIT_JS, SWAGGER_UI_ASSETS, SWAGGER_UI_DIR } from './docsPage.js';
import { buildOpenApiDocument } from './openapi.js';

/**
 * GET /openapi.json and GET /docs (Swagger UI and its assets), unauthenticated. The document is
 * built on first request, once every route is mounted.
 */
export function docsRouter(app: Express): Router {
  const router = Router();
  let document: string | undefined;
  router.get('/openapi.json', (_req, res) => {
    document ??= JSON.stringify(buildOpenApiDocument(app));
    res.type('application/json').send(document);
  });
  router.get('/docs', (_req, res) => {
    res.setHeader('Content-Security-Policy', DOCS_CSP);
    res.type('html').send(DOCS_HTML);
  });
  router.get('/docs/init.js', (_req, res) => {
    res.type('application/javascript').send(DOCS_INIT_JS);
  });
  for (const file of SWAGGER_UI_ASSETS) {
    router.get(`/docs/assets/${file}`, (_req, res, next) => {
      res.setHeader('Cache-Control', 'public, max-age=86400');
      res.sendFile(path.join(SWAGGER_UI_DIR, file), (err) => err && next(err));
    });
  }
  return router;
}
