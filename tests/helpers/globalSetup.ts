/**
 * One PostgreSQL per test run: TEST_DATABASE_URL when set, otherwise a throw-away embedded
 * cluster. Migrations are applied once to a template database; every test file then gets its
 * own copy (CREATE DATABASE ... TEMPLATE), which takes milliseconds.
 */
import { mkdtemp } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import pg from 'pg';
import type { TestProject } from 'vitest/node';
import { withDatabase } from '../../src/db/database.js';
import { removeCluster, startEmbeddedPostgres, type EmbeddedPostgres } from '../../src/db/embeddedPostgres.js';
import { applyMigrations } from '../../src/db/schemaEngine.js';

export const TEMPLATE_DB = `llmguard_test_template_${process.pid}`;

declare module 'vitest' {
  export interface ProvidedContext {
    serverUrl: string;
    templateDb: string;
  }
}

export default async function setup(project: TestProject) {
  let embedded: EmbeddedPostgres | undefined;
  let baseDir: string | undefined;
  let serverUrl = process.env.TEST_DATABASE_URL;
  if (!serverUrl) {
    baseDir = await mkdtemp(path.join(os.tmpdir(), 'llmguard-test-pg-'));
    embedded = await startEmbeddedPostgres({ dataDir: baseDir, port: 0 });
    serverUrl = embedded.url;
  }
  const admin = new pg.Client({ connectionString: serverUrl });
  await admin.connect();
  await admin.query(`DROP DATABASE IF EXISTS "${TEMPLATE_DB}"`);
  await admin.query(`CREATE DATABASE "${TEMPLATE_DB}"`);
  await applyMigrations(withDatabase(serverUrl, TEMPLATE_DB));
  await admin.end();

  project.provide('serverUrl', serverUrl);
  project.provide('templateDb', TEMPLATE_DB);

  return async () => {
    const client = new pg.Client({ connectionString: serverUrl });
    await client.connect();
    await client.query(`DROP DATABASE IF EXISTS "${TEMPLATE_DB}" WITH (FORCE)`);
    await client.end();
    if (embedded) await embedded.stop();
    if (baseDir) await removeCluster(baseDir);
  };
}
