/**
 * The embedded PostgreSQL's port held by another program (another checkout's cluster, anything
 * listening): the server still comes up on a free port and remembers it in DATA_DIR.
 */
import { once } from 'node:events';
import { chmod, mkdtemp, readFile, rm } from 'node:fs/promises';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { spawnServer, waitFor } from '../helpers/spawnServer.js';

const dirs: string[] = [];
afterAll(async () => {
  for (const dir of dirs) await rm(dir, { recursive: true, force: true });
});

describe('the embedded PostgreSQL port taken by a foreign listener', () => {
  it('should start on another port and remember it in DATA_DIR', async () => {
    const foreign = net.createServer((socket) => socket.destroy());
    foreign.listen(0, '127.0.0.1');
    await once(foreign, 'listening');
    const taken = (foreign.address() as net.AddressInfo).port;
    const dataDir = await mkdtemp(path.join(os.tmpdir(), 'llmguard-port-'));
    await chmod(dataDir, 0o755); // as root, the postgres user must reach the cluster
    dirs.push(dataDir);
    try {
      const server = await spawnServer({ DATA_DIR: dataDir, EMBEDDED_PG_PORT: String(taken) });
      const died = server.exited.then((e) =>
        Promise.reject(new Error(`exited: ${JSON.stringify(e)} ${server.output()}`)),
      );
      await Promise.race([waitFor(`${server.baseUrl}/readyz`), died]);
      expect(server.output()).toContain(`port ${taken} is held by another program`);
      const remembered = Number((await readFile(path.join(dataDir, 'postgres', 'port'), 'utf8')).trim());
      expect(remembered).toBeGreaterThan(0);
      expect(remembered).not.toBe(taken);
      server.child.kill('SIGTERM');
      expect(await server.exited).toEqual({ code: 0, signal: null });
    } finally {
      foreign.close();
    }
  }, 180_000);
});
