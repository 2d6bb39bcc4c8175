import { execFileSync, spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { chmod, mkdtemp, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { freePort } from '../../src/db/localPorts.js';
import { spawnServer, waitFor } from '../helpers/spawnServer.js';

const ROOT = path.resolve(import.meta.dirname, '../..');

const dirs: string[] = [];
afterAll(async () => {
  for (const d of dirs) await rm(d, { recursive: true, force: true });
});

function postmasterRunning(pgdata: string): boolean {
  if (!existsSync(path.join(pgdata, 'postmaster.pid'))) return false;
  const pid = Number(
    execFileSync('head', ['-1', path.join(pgdata, 'postmaster.pid')])
      .toString()
      .trim(),
  );
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

describe('the server process on the embedded PostgreSQL', () => {
  it('should start, serve, and exit 0 on SIGTERM leaving no PostgreSQL running; a second start reuses the data', async () => {
    const dataDir = await mkdtemp(path.join(os.tmpdir(), 'llmguard-proc-'));
    await chmod(dataDir, 0o755); // as root, the postgres user must reach the cluster
    dirs.push(dataDir);
    const env = { DATA_DIR: dataDir, EMBEDDED_PG_PORT: '0' };
    const pgdata = path.join(dataDir, 'postgres', 'pgdata');

    const first = await spawnServer(env);
    await waitFor(`${first.baseUrl}/readyz`);
    const notFound = await fetch(`${first.baseUrl}/api/v1/nope`);
    expect(notFound.status).toBe(404);
    expect(((await notFound.json()) as { error: { requestId: string } }).error.requestId).toEqual(expect.any(String));
    expect(postmasterRunning(pgdata)).toBe(true);
    // The assessment is warmed before the server listens (ASSESSMENT_WARMUP, on by default).
    const warmed = first.output().indexOf('assessment warmed up');
    expect(warmed).toBeGreaterThan(-1);
    expect(warmed).toBeLessThan(first.output().indexOf('LLMGuard API listening'));
    // So are the request paths' database lookups and the writer's connections (QUERY_WARMUP).
    const queries = first.output().indexOf('request queries warmed up');
    expect(queries).toBeGreaterThan(-1);
    expect(queries).toBeLessThan(first.output().indexOf('LLMGuard API listening'));
    first.child.kill('SIGTERM');
    expect(await first.exited).toEqual({ code: 0, signal: null });
    expect(postmasterRunning(pgdata)).toBe(false);

    const second = await spawnServer({ ...env, ASSESSMENT_WARMUP: 'false', QUERY_WARMUP: 'false' });
    await waitFor(`${second.baseUrl}/readyz`);
    expect(second.output()).toContain('database schema is up to date');
    expect(second.output()).not.toContain('assessment warmed up');
    expect(second.output()).not.toContain('request queries warmed up');
    expect(second.output()).not.toContain('initialising embedded PostgreSQL');
    second.child.kill('SIGTERM');
    expect((await second.exited).code).toBe(0);
    expect(postmasterRunning(pgdata)).toBe(false);
  }, 180_000);

  it('should stop its PostgreSQL and exit when `npm start` is signalled and its launcher and pipes go away at once', async () => {
    const dataDir = await mkdtemp(path.join(os.tmpdir(), 'llmguard-launcher-'));
    await chmod(dataDir, 0o755);
    dirs.push(dataDir);
    const pgdata = path.join(dataDir, 'postgres', 'pgdata');
    const port = await freePort();
    // What a supervisor does: it signals the launcher (npm), npm exits at once, the pipes close.
    const npm = spawn('npm', ['start'], {
      cwd: ROOT,
      env: { ...process.env, DATA_DIR: dataDir, EMBEDDED_PG_PORT: '0', PORT: String(port), HOST: '127.0.0.1' },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let output = '';
    npm.stdout.on('data', (d: Buffer) => (output += d.toString()));
    npm.stderr.on('data', (d: Buffer) => (output += d.toString()));
    const npmExited = new Promise((resolve) => npm.once('exit', resolve));
    try {
      await waitFor(`http://127.0.0.1:${port}/readyz`);
    } catch (err) {
      npm.kill('SIGKILL');
      throw new Error(`${(err as Error).message}\n${output}`);
    }
    const server = Number(execFileSync('ps', ['-o', 'pid=', '--ppid', String(npm.pid)]).toString().trim());
    expect(server).toBeGreaterThan(0);
    expect(postmasterRunning(pgdata)).toBe(true);
    const alive = (pid: number) => {
      try {
        process.kill(pid, 0);
        return true;
      } catch {
        return false;
      }
    };
    try {
      const signalled = Date.now();
      npm.kill('SIGTERM');
      npm.stdout.destroy();
      npm.stderr.destroy();
      await npmExited;
      // Before the fix npm's shell died and left the server running for good; measured now: 0.5-1 s.
      while ((alive(server) || postmasterRunning(pgdata)) && Date.now() - signalled < 10_000) {
        await new Promise((r) => setTimeout(r, 50));
      }
      expect({ server: alive(server), postgres: postmasterRunning(pgdata) }).toEqual({
        server: false,
        postgres: false,
      });
    } finally {
      if (alive(server)) process.kill(server, 'SIGKILL');
    }
  }, 180_000);

  it('should refuse to start on a missing or corrupt guard model, with one line naming the file and the fix', async () => {
    const dataDir = await mkdtemp(path.join(os.tmpdir(), 'llmguard-model-'));
    await chmod(dataDir, 0o755);
    dirs.push(dataDir);
    const corrupt = path.join(dataDir, 'corrupt.bin');
    await writeFile(corrupt, 'not a model\n');
    for (const file of [path.join(dataDir, 'missing.bin'), corrupt]) {
      const server = await spawnServer({ DATA_DIR: dataDir, EMBEDDED_PG_PORT: '0', GUARD_MODEL_PATH: file });
      expect(await server.exited).toEqual({ code: 1, signal: null });
      const fatal = server
        .output()
        .split('\n')
        .filter((l) => l.includes('"level":60'));
      expect(fatal).toHaveLength(1);
      expect(fatal[0]).toContain(file);
      expect(fatal[0]).toContain('npm run train:guard');
      // It stops before the database: no PostgreSQL was started for it.
      expect(existsSync(path.join(dataDir, 'postgres', 'pgdata', 'postmaster.pid'))).toBe(false);
    }
  }, 120_000);
});
