/**
 * A PostgreSQL 15 primary and a streaming replica of it, from the machine's own binaries
 * (/usr/lib/postgresql/15/bin): initdb into a temp dir, `pg_basebackup -R` for the replica,
 * each `postgres` on its own free port. As root both run as the `postgres` OS user.
 */
import { execFileSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { chmod, mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { quietPort } from './ports.js';

export const PG15_BIN = '/usr/lib/postgresql/15/bin';

export interface Pg15Pair {
  primaryUrl: (db?: string) => string;
  replicaUrl: (db?: string) => string;
  replicaPort: number;
  /** stops the replica at once (as a crash would) */
  stopReplica(): void;
  startReplica(): void;
  destroy(): Promise<void>;
}

/** Why PostgreSQL 15 cannot be used here, or undefined when it can. */
export function pg15Missing(): string | undefined {
  for (const bin of ['initdb', 'pg_ctl', 'pg_basebackup', 'postgres']) {
    if (!existsSync(path.join(PG15_BIN, bin))) return `${PG15_BIN}/${bin} is missing`;
  }
  if (process.getuid?.() === 0 && !existsSync('/usr/sbin/runuser')) return 'runuser is missing (needed as root)';
  return undefined;
}

function run(bin: string, args: string[]): string {
  const cmd = path.join(PG15_BIN, bin);
  const asRoot = process.getuid?.() === 0;
  return execFileSync(asRoot ? '/usr/sbin/runuser' : cmd, asRoot ? ['-u', 'postgres', '--', cmd, ...args] : args, {
    encoding: 'utf8',
    stdio: ['ignore', 'pipe', 'pipe'],
    timeout: 180_000,
  });
}

function logTail(file: string): string {
  try {
    return readFileSync(file, 'utf8').trim().split('\n').slice(-8).join('\n');
  } catch {
    return '(no log)';
  }
}

export async function startPg15Pair(): Promise<Pg15Pair> {
  const base = await mkdtemp(path.join(os.tmpdir(), 'llmguard-pg15-'));
  await chmod(base, 0o777);
  const primaryDir = path.join(base, 'primary');
  const replicaDir = path.join(base, 'replica');
  const opts = (port: number) =>
    `-p ${port} -k ${base} -c listen_addresses=127.0.0.1 -c fsync=off -c wal_level=replica -c max_wal_senders=5 -c hot_standby=on -c wal_receiver_status_interval=1s`;
  const start = (dir: string, port: number) => {
    try {
      run('pg_ctl', ['-D', dir, '-l', `${dir}.log`, '-o', opts(port), '-w', '-t', '120', 'start']);
    } catch (err) {
      throw new Error(
        `pg_ctl start of ${path.basename(dir)} on port ${port} failed; its log ends:\n${logTail(`${dir}.log`)}`,
        {
          cause: err,
        },
      );
    }
  };
  /** starts on a fresh port, trying another when the chosen one was taken meanwhile */
  const startOnFreePort = async (dir: string): Promise<number> => {
    for (let attempt = 1; ; attempt++) {
      const port = await quietPort();
      try {
        start(dir, port);
        return port;
      } catch (err) {
        if (attempt >= 3 || !/already in use|could not create any TCP\/IP sockets/.test(logTail(`${dir}.log`)))
          throw err;
      }
    }
  };
  run('initdb', ['-D', primaryDir, '-A', 'trust', '-U', 'postgres', '--no-sync', '-E', 'UTF8']);
  const primaryPort = await startOnFreePort(primaryDir);
  run('pg_basebackup', [
    '-h',
    '127.0.0.1',
    '-p',
    String(primaryPort),
    '-U',
    'postgres',
    '-D',
    replicaDir,
    '-R',
    '-X',
    'stream',
  ]);
  const replicaPort = await startOnFreePort(replicaDir);
  const url =
    (port: number) =>
    (db = 'postgres') =>
      `postgresql://postgres@127.0.0.1:${port}/${db}`;
  let replicaRunning = true;
  return {
    primaryUrl: url(primaryPort),
    replicaUrl: url(replicaPort),
    replicaPort,
    stopReplica() {
      run('pg_ctl', ['-D', replicaDir, '-m', 'immediate', '-w', 'stop']);
      replicaRunning = false;
    },
    startReplica() {
      start(replicaDir, replicaPort);
      replicaRunning = true;
    },
    async destroy() {
      if (replicaRunning) run('pg_ctl', ['-D', replicaDir, '-m', 'immediate', '-w', 'stop']);
      run('pg_ctl', ['-D', primaryDir, '-m', 'immediate', '-w', 'stop']);
      await rm(base, { recursive: true, force: true });
    },
  };
}
