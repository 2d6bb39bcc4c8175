/**
 * Where the database comes from: DATABASE_URL when set, otherwise an embedded PostgreSQL under
 * DATA_DIR. Either way pending migrations are applied before the app serves (unless disabled).
 */
import path from 'node:path';
import pg from 'pg';
import { env } from '../config/env.js';
import { startEmbeddedPostgres, type EmbeddedPostgres } from './embeddedPostgres.js';
import { applyMigrations, readMigrationList } from './schemaEngine.js';

export const EMBEDDED_DATABASE = 'llmguard';

export interface Database {
  url: string;
  embedded?: EmbeddedPostgres;
  /** Stops the embedded server if this process started it (or adopted it, with stopAdopted). */
  stop(): Promise<void>;
}

/** Replaces the database name of a connection string. */
export function withDatabase(url: string, database: string): string {
  const u = new URL(url);
  u.pathname = `/${database}`;
  return u.toString();
}

/** Creates `database` on the server of `adminUrl` unless it exists. */
export async function ensureDatabase(adminUrl: string, database: string): Promise<void> {
  const client = new pg.Client({ connectionString: adminUrl });
  await client.connect();
  try {
    const { rowCount } = await client.query('SELECT 1 FROM pg_database WHERE datname = $1', [database]);
    if (rowCount === 0) await client.query(`CREATE DATABASE "${database.replaceAll('"', '""')}"`);
  } finally {
    await client.end();
  }
}

/**
 * `stopAdopted`: the API server owns a cluster it finds running (left by a crashed predecessor)
 * and stops it on shutdown; scripts (seed, migrate) must not stop a cluster a running server uses.
 */
export async function openDatabase(
  log: (msg: string) => void,
  options: { stopAdopted?: boolean } = {},
): Promise<Database> {
  let url: string;
  let embedded: EmbeddedPostgres | undefined;
  if (env.DATABASE_URL) {
    url = env.DATABASE_URL;
  } else {
    embedded = await startEmbeddedPostgres({
      dataDir: path.join(path.resolve(env.DATA_DIR), 'postgres'),
      port: env.EMBEDDED_PG_PORT,
      log,
    });
    await ensureDatabase(embedded.url, EMBEDDED_DATABASE);
    url = withDatabase(embedded.url, EMBEDDED_DATABASE);
  }
  if (env.MIGRATE_ON_START) {
    const applied = await applyMigrations(url);
    log(applied.length ? `applied migrations: ${applied.join(', ')}` : 'database schema is up to date');
  }
  return {
    url,
    embedded,
    stop: async () => {
      if (embedded && (embedded.started || options.stopAdopted)) await embedded.stop();
    },
  };
}

/** Names of the migrations this build expects to find applied. */
export async function expectedMigrations(): Promise<string[]> {
  const list = await readMigrationList();
  return list.migrationDirectories.map((d) => d.path);
}
