/**
 * The API's own port held by another program that answers HTTP: the server exits 1 on
 * EADDRINUSE, and the process tests' readiness wait (waitForServer) says so, rather than taking
 * the other program's /readyz for this server's. With a plain /readyz poll, a replica that lost
 * its port looked ready, and a rolling restart behind HAProxy later signalled a process already
 * gone and waited for good for the balancer to see it leave.
 */
import { once } from 'node:events';
import http from 'node:http';
import type net from 'node:net';
import { describe, expect, it } from 'vitest';
import { quietPort } from '../helpers/ports.js';
import { listensOn, spawnServer, waitFor, waitForServer } from '../helpers/spawnServer.js';
import { useTestApp } from '../helpers/testApp.js';

const ctx = useTestApp({ openai: null });

describe('the API port taken by another HTTP server', () => {
  it('should exit 1 and be reported as not ready, though its port answers /readyz 200', async () => {
    const impostor = http.createServer((_req, res) => res.end('{"status":"ready"}'));
    impostor.listen(await quietPort(), '127.0.0.1');
    await once(impostor, 'listening');
    const port = (impostor.address() as net.AddressInfo).port;
    try {
      expect(listensOn(process.pid, port)).toBe(true);
      const server = await spawnServer(
        { DATABASE_URL: ctx.databaseUrl, MIGRATE_ON_START: 'false', CRON_ENABLED: 'false' },
        { port },
      );
      // what a plain poll of the port concludes
      await waitFor(`${server.baseUrl}/readyz`, 200, 5_000);
      expect(listensOn(server.child.pid!, port)).toBe(false);
      await expect(waitForServer(server, 120_000)).rejects.toThrow(/exited \(\{"code":1,"signal":null\}\)/);
      expect(server.output()).toContain('EADDRINUSE');
    } finally {
      impostor.close();
    }
  }, 180_000);

  it('should see a started server holding its own port', async () => {
    const server = await spawnServer({
      DATABASE_URL: ctx.databaseUrl,
      MIGRATE_ON_START: 'false',
      CRON_ENABLED: 'false',
    });
    try {
      await waitForServer(server, 120_000);
      expect(listensOn(server.child.pid!, server.port)).toBe(true);
      expect(listensOn(process.pid, server.port)).toBe(false);
    } finally {
      server.child.kill('SIGTERM');
      expect(await server.exited).toEqual({ code: 0, signal: null });
    }
  }, 180_000);
});
