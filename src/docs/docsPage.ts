/**
 * GET /docs: the OpenAPI document (/openapi.json) rendered by Swagger UI (`swagger-ui-dist`,
 * Apache-2.0), with try-it. Its assets are served by us from node_modules (no CDN). The page is
 * plain HTML with no inline script, so the page-specific CSP allows scripts from 'self' only;
 * Swagger UI sets style attributes (React), hence 'unsafe-inline' for styles on this page only.
 */
import { createRequire } from 'node:module';
import path from 'node:path';

/** Where swagger-ui-dist's files are. */
export const SWAGGER_UI_DIR = path.dirname(createRequire(import.meta.url).resolve('swagger-ui-dist/package.json'));

/** The files of swagger-ui-dist the page loads (nothing else of the package is served). */
export const SWAGGER_UI_ASSETS = ['swagger-ui.css', 'swagger-ui-bundle.js', 'favicon-32x32.png'] as const;

export const DOCS_HTML = `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>LLMGuard Cloud API reference</title>
<link rel="stylesheet" href="/docs/assets/swagger-ui.css">
<link rel="icon" type="image/png" href="/docs/assets/favicon-32x32.png">
</head>
<body>
<div id="swagger-ui"></div>
<script src="/docs/assets/swagger-ui-bundle.js"></script>
<script src="/docs/init.js"></script>
</body>
</html>
`;

/**
 * Starts Swagger UI on /openapi.json. `validatorUrl: null`: Swagger UI would otherwise send the
 * document to an external validator. Try-it calls go to this server (same origin).
 */
export const DOCS_INIT_JS = `window.ui = SwaggerUIBundle({
  url: '/openapi.json',
  dom_id: '#swagger-ui',
  deepLinking: true,
  filter: true,
  tryItOutEnabled: false,
  displayRequestDuration: true,
  docExpansion: 'list',
  defaultModelsExpandDepth: 0,
  defaultModelExpandDepth: 3,
  validatorUrl: null,
  persistAuthorization: false,
});
`;

export const DOCS_CSP = [
  "default-src 'none'",
  "script-src 'self'",
  "style-src 'self' 'unsafe-inline'",
  "connect-src 'self'",
  "img-src 'self' data:",
  "font-src 'self' data:",
  "base-uri 'none'",
  "form-action 'none'",
  "frame-ancestors 'none'",
].join('; ');
