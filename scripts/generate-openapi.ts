/**
 * npm run docs:openapi: writes docs/openapi.json from the app's routes and Zod schemas.
 * tests/integration/openapi.test.ts fails when the committed file no longer matches the code.
 */
import { writeFileSync } from 'node:fs';
import path from 'node:path';
import { createApp } from '../src/app.js';
import { createPrisma } from '../src/db/prisma.js';
import { buildOpenApiDocument, serializeOpenApi } from '../src/docs/openapi.js';

// The document depends on the routes only: the app never listens and this client never connects.
const prisma = createPrisma('postgresql://openapi@127.0.0.1:9/unused', 1);
const doc = buildOpenApiDocument(createApp({ prisma, openai: null }));
const file = path.resolve(import.meta.dirname, '../docs/openapi.json');
writeFileSync(file, serializeOpenApi(doc));
const operations = Object.values(doc.paths).reduce((n, item) => n + Object.keys(item).length, 0);
console.log(`wrote ${path.relative(process.cwd(), file)}: ${operations} operations`);
await prisma.$disconnect();
