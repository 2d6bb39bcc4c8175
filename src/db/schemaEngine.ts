/**
 * Prisma's schema engine (the part of the CLI that diffs schemas and applies migrations),
 * loaded from its WebAssembly build so that it needs no downloaded native binary.
 * `applyMigrations` records rows in `_prisma_migrations` exactly as `prisma migrate deploy`
 * does, so the official CLI agrees with what this module applied.
 */
import { randomBytes } from 'node:crypto';
import { existsSync } from 'node:fs';
import { readFile, readdir } from 'node:fs/promises';
import { createRequire } from 'node:module';
import path from 'node:path';
import { PrismaPg } from '@prisma/adapter-pg';
import pg from 'pg';
import {
  ColumnTypeEnum,
  bindMigrationAwareSqlAdapterFactory,
  type SqlMigrationAwareDriverAdapterFactory,
  type SqlResultSet,
} from '@prisma/driver-adapter-utils';
import type * as SchemaEngineBg from '@prisma/schema-engine-wasm/schema_engine_bg';
import type { MigrationList, SchemaEngine as WasmSchemaEngine } from '@prisma/schema-engine-wasm';

const require = createRequire(import.meta.url);

/** prisma/ of the project, found upward from this file (works from src/ and from dist/src/). */
function findPrismaDir(from: string): string {
  for (let dir = from; ; dir = path.dirname(dir)) {
    if (existsSync(path.join(dir, 'prisma', 'schema.prisma'))) return path.join(dir, 'prisma');
    if (path.dirname(dir) === dir) return path.resolve(from, '../../prisma');
  }
}

export const PRISMA_DIR = findPrismaDir(import.meta.dirname);
export const SCHEMA_PATH = path.join(PRISMA_DIR, 'schema.prisma');
export const MIGRATIONS_DIR = path.join(PRISMA_DIR, 'migrations');

const NO_FILTERS = { externalTables: [], externalEnums: [] };

/**
 * Objects made by hand-written SQL that Prisma's schema cannot describe (see docs/DATABASE.md and
 * docs/SCALING.md): the trigger-kept search column and its indexes, and the partitioning of
 * llm_requests, whose primary key is ("id", "createdAt") while the schema keeps `id @id` (Prisma
 * sees the partitioned parent, not its partitions). A diff block that names one is left out of
 * new migrations.
 */
export const RAW_SQL_OBJECTS = [
  /"search"/,
  /llm_requests_search_idx/,
  /btree_gin/,
  /"llm_requests_pkey"/,
  /llm_requests_flags_idx/,
  /llm_requests_refused_idx/,
  /llm_requests_search_pending_idx/,
];

/** The blocks of a diff script that are real schema changes (none of RAW_SQL_OBJECTS). */
export function schemaChangeBlocks(sql: string): string[] {
  return sql
    .split(/\n(?=-- )/)
    .filter((b) => b.trim() && !/^-- This is an empty migration/.test(b))
    .filter((block) => !RAW_SQL_OBJECTS.some((re) => re.test(block)));
}

type Bg = typeof SchemaEngineBg;
/** The slice of the global WebAssembly API used here (not in this project's TS lib). */
interface WasmApi {
  instantiate(bytes: Uint8Array, imports: object): Promise<{ instance: { exports: object } }>;
}
let bgPromise: Promise<Bg> | undefined;
/** Message of the last panic inside the engine, for error reports. */
export let lastPanic: string | undefined;

/** Instantiates the WebAssembly module once per process. */
function loadWasm(): Promise<Bg> {
  bgPromise ??= (async () => {
    // The engine reports a Rust panic's message through this global before throwing.
    const g = globalThis as { PRISMA_WASM_PANIC_REGISTRY?: { set_message(m: string): void } };
    g.PRISMA_WASM_PANIC_REGISTRY ??= {
      set_message: (message: string) => {
        lastPanic = message;
      },
    };
    const bg = (await import('@prisma/schema-engine-wasm/schema_engine_bg')) as Bg & {
      __wbg_set_wasm(exports: unknown): void;
    };
    const wasmPath = path.join(
      path.dirname(require.resolve('@prisma/schema-engine-wasm/schema_engine_bg')),
      'schema_engine_bg.wasm',
    );
    const bytes = await readFile(wasmPath);
    const { instance } = await (globalThis as unknown as { WebAssembly: WasmApi }).WebAssembly.instantiate(bytes, {
      './schema_engine_bg.js': bg,
    });
    bg.__wbg_set_wasm(instance.exports);
    (instance.exports as { __wbindgen_start(): void }).__wbindgen_start();
    return bg;
  })();
  return bgPromise;
}

/**
 * The engine describes a database through catalog queries that return PostgreSQL's internal
 * one-byte `"char"` type (OID 18), which the pg driver adapter refuses to map. The pg client
 * below reports such columns as text with a marker on the name; the adapter wrapper removes
 * the marker and reports the column as `Character`, the type the engine reads them as.
 */
const CHAR_MARK = '\u0000char';

class CharAsTextClient extends pg.Client {
  override query(...args: unknown[]): never {
    const fix = (res: pg.QueryResult | undefined) => {
      for (const field of res?.fields ?? []) {
        if (field.dataTypeID === 18) {
          field.dataTypeID = 25;
          field.name += CHAR_MARK;
        }
      }
      return res;
    };
    const last = args.length - 1;
    const callback = args[last];
    if (typeof callback === 'function') {
      args[last] = (err: unknown, res: pg.QueryResult | undefined) => callback(err, fix(res));
    }
    const result = (super.query as (...a: unknown[]) => unknown)(...args);
    return (result instanceof Promise ? result.then(fix) : result) as never;
  }
}

type Queryable = { queryRaw(q: unknown): Promise<SqlResultSet> };

function unmarkChars<T extends object>(target: T): T {
  return new Proxy(target, {
    get(obj, prop, receiver) {
      const value = Reflect.get(obj, prop, receiver) as unknown;
      if (prop === 'queryRaw' && typeof value === 'function') {
        return async (query: unknown) => {
          const result = await (value as Queryable['queryRaw']).call(obj, query);
          result.columnNames.forEach((name, i) => {
            if (name.endsWith(CHAR_MARK)) {
              result.columnNames[i] = name.slice(0, -CHAR_MARK.length);
              result.columnTypes[i] = ColumnTypeEnum.Character;
            }
          });
          return result;
        };
      }
      if (prop === 'executeScript' && typeof value === 'function') {
        // The adapter splits scripts on every `;`, which breaks function bodies and comments:
        // the whole migration goes to PostgreSQL as one simple query, as the native engine sends it.
        return async (script: string) => {
          const driver = (obj as unknown as { underlyingDriver(): pg.PoolClient | pg.Client }).underlyingDriver();
          try {
            await driver.query(script);
          } catch (error) {
            (obj as unknown as { onError(e: unknown): never }).onError(error);
          }
        };
      }
      if (prop === 'startTransaction' && typeof value === 'function') {
        return async (...a: unknown[]) =>
          unmarkChars(await (value as (...x: unknown[]) => Promise<object>).apply(obj, a));
      }
      return typeof value === 'function' ? (value as (...x: unknown[]) => unknown).bind(obj) : value;
    },
  });
}

function charAwareFactory(pool: pg.Pool): SqlMigrationAwareDriverAdapterFactory {
  const inner = new PrismaPg(pool);
  return {
    provider: inner.provider,
    adapterName: inner.adapterName,
    connect: async () => unmarkChars(await inner.connect()),
    connectToShadowDb: async () => unmarkChars(await inner.connectToShadowDb()),
  };
}

export interface SchemaEngineHandle {
  engine: WasmSchemaEngine;
  close(): Promise<void>;
}

/** Opens a schema engine bound to the database at `connectionString`. */
export async function openSchemaEngine(
  connectionString: string,
  log: (message: string) => void = () => {},
): Promise<SchemaEngineHandle> {
  const bg = await loadWasm();
  const schema = await readFile(SCHEMA_PATH, 'utf8');
  const pool = new pg.Pool({ connectionString, max: 2, Client: CharAsTextClient });
  const adapter = bindMigrationAwareSqlAdapterFactory(charAwareFactory(pool));
  const engine = await bg.SchemaEngine.new(
    { datamodels: [[SCHEMA_PATH, schema]] },
    (line: string) => log(line),
    adapter,
  );
  return {
    engine,
    close: async () => {
      engine.free();
      await pool.end();
    },
  };
}

/** Reads prisma/migrations from disk in the shape the engine expects. */
export async function readMigrationList(dir = MIGRATIONS_DIR): Promise<MigrationList> {
  const entries = await readdir(dir, { withFileTypes: true }).catch(() => []);
  const names = entries
    .filter((e) => e.isDirectory())
    .map((e) => e.name)
    .sort();
  const migrationDirectories = await Promise.all(
    names.map(async (name) => {
      const file = path.join(dir, name, 'migration.sql');
      const content = await readFile(file, 'utf8').then(
        (ok) => ({ tag: 'ok' as const, value: ok }),
        (err: Error) => ({ tag: 'error' as const, value: err.message }),
      );
      return { path: name, migrationFile: { path: 'migration.sql', content } };
    }),
  );
  const lockPath = path.join(dir, 'migration_lock.toml');
  const lockContent = await readFile(lockPath, 'utf8').catch(() => null);
  return {
    baseDir: dir,
    lockfile: { path: 'migration_lock.toml', content: lockContent },
    shadowDbInitScript: '',
    migrationDirectories,
  };
}

/** Applies every migration not yet recorded in `_prisma_migrations`; returns their names. */
export async function applyMigrations(
  connectionString: string,
  log?: (message: string) => void,
  dir = MIGRATIONS_DIR,
): Promise<string[]> {
  const handle = await openSchemaEngine(connectionString, log);
  try {
    const migrationsList = await readMigrationList(dir);
    const out = await handle.engine.applyMigrations({ migrationsList, filters: NO_FILTERS });
    return out.appliedMigrationNames;
  } finally {
    await handle.close();
  }
}

/**
 * SQL that takes the database described by the existing migrations to the current schema.
 * The wasm engine replays the migrations on the database it is bound to (as its shadow
 * database), so it is bound to a throw-away database created here and dropped afterwards.
 */
export async function diffMigrationsToSchema(serverUrl: string): Promise<string> {
  const scratch = `llmguard_shadow_${randomBytes(6).toString('hex')}`;
  const admin = new pg.Client({ connectionString: serverUrl });
  await admin.connect();
  await admin.query(`CREATE DATABASE "${scratch}"`);
  const scratchUrl = new URL(serverUrl);
  scratchUrl.pathname = `/${scratch}`;
  const handle = await openSchemaEngine(scratchUrl.toString());
  try {
    const migrationsList = await readMigrationList();
    const schema = await readFile(SCHEMA_PATH, 'utf8');
    const from =
      migrationsList.migrationDirectories.length === 0
        ? ({ tag: 'empty' } as const)
        : ({ tag: 'migrations', ...migrationsList } as const);
    const result = await handle.engine.diff({
      from,
      to: { tag: 'schemaDatamodel', files: [{ path: SCHEMA_PATH, content: schema }] },
      script: true,
      exitCode: null,
      filters: NO_FILTERS,
    });
    return result.stdout ?? '';
  } finally {
    await handle.close();
    await admin.query(`DROP DATABASE IF EXISTS "${scratch}" WITH (FORCE)`);
    await admin.end();
  }
}
