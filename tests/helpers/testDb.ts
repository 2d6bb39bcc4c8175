import { randomBytes } from 'node:crypto';
import pg from 'pg';
import { inject } from 'vitest';
import { withDatabase } from '../../src/db/database.js';

/** Admin connection string to the test server (its `postgres` database or TEST_DATABASE_URL's). */
export function serverUrl(): string {
  return inject('serverUrl');
}

async function admin<T>(fn: (client: pg.Client) => Promise<T>): Promise<T> {
  const client = new pg.Client({ connectionString: serverUrl() });
  await client.connect();
  try {
    return await fn(client);
  } finally {
    await client.end();
  }
}

/** A fresh database; `migrated` copies the migrated template, otherwise it is empty. */
export async function createDatabase(
  migrated = true,
): Promise<{ name: string; url: string; drop: () => Promise<void> }> {
  const name = `llmguard_t_${randomBytes(6).toString('hex')}`;
  const template = migrated ? ` TEMPLATE "${inject('templateDb')}"` : '';
  // Copying a template fails while another copy of it is in progress: retry briefly.
  for (let attempt = 0; ; attempt++) {
    try {
      await admin((c) => c.query(`CREATE DATABASE "${name}"${template}`));
      break;
    } catch (err) {
      if (attempt >= 20 || !/being accessed by other users/.test(String(err))) throw err;
      await new Promise((r) => setTimeout(r, 100 + Math.random() * 200));
    }
  }
  return {
    name,
    url: withDatabase(serverUrl(), name),
    drop: () => admin((c) => c.query(`DROP DATABASE IF EXISTS "${name}" WITH (FORCE)`)).then(() => undefined),
  };
}
