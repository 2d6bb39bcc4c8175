/**
 * As root, a checkout in a directory the `postgres` OS user cannot enter (mode 700, like
 * /root or a `mktemp -d` folder) still starts: the embedded PostgreSQL binaries are copied to
 * a root-owned cache it can reach (src/db/embeddedPostgres.ts). Runs as root only (as CI does).
 */
import { execFileSync } from 'node:child_process';
import { mkdtemp, rm, stat } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { spawnServer, waitFor } from '../helpers/spawnServer.js';

const ROOT = path.resolve(import.meta.dirname, '../..');
const isRoot = typeof process.getuid === 'function' && process.getuid() === 0;
const cleanup: string[] = [];

afterAll(async () => {
  for (const dir of cleanup) await rm(dir, { recursive: true, force: true });
});

describe.skipIf(!isRoot)('a checkout in a private directory, as root', () => {
  it('should start on the embedded PostgreSQL and stop cleanly', { timeout: 240_000 }, async () => {
    const privateDir = await mkdtemp(path.join(os.tmpdir(), 'llmguard-private-'));
    cleanup.push(privateDir);
    expect((await stat(privateDir)).mode & 0o777).toBe(0o700);
    const app = path.join(privateDir, 'app');
    // The committed tree, plus what `npm install` makes: node_modules and the generated Prisma
    // client, as hard links (a real copy of the files, not a symlink back to this checkout).
    execFileSync('git', ['clone', '-q', ROOT, app]);
    execFileSync('cp', ['-al', path.join(ROOT, 'node_modules'), path.join(app, 'node_modules')]);
    execFileSync('cp', ['-al', path.join(ROOT, 'src/generated'), path.join(app, 'src/generated')]);

    const server = await spawnServer({ DATA_DIR: path.join(app, '.data'), EMBEDDED_PG_PORT: '0' }, { cwd: app });
    try {
      // A start-up failure ends the process: stop waiting then.
      const died = server.exited.then((e) => Promise.reject(new Error(`server exited early: ${JSON.stringify(e)}`)));
      await Promise.race([waitFor(`${server.baseUrl}/readyz`, 200, 180_000), died]);
    } catch (err) {
      throw new Error(`${(err as Error).message}\n${server.output()}`, { cause: err });
    } finally {
      // the cluster itself lives in the temp directory when DATA_DIR is out of postgres' reach
      const fallback = /; using (\/[^\s"]+)/.exec(server.output())?.[1];
      if (fallback) cleanup.push(fallback);
    }
    server.child.kill('SIGTERM');
    expect(await server.exited).toEqual({ code: 0, signal: null });
    expect(server.output()).not.toContain('EACCES');
  });
});
