import { Router, type Express } from 'express';
import { DOCS_CSP, DOCS_HTML } from './docsPage.js';
import { buildOpenApiDocument } from './openapi.js';

/** GET /openapi.json and GET /docs, unauthenticated. The document is built on first request, once every route is mounted. */
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
  return router;
}
