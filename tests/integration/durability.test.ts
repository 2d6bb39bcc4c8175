/**
 * Nothing acknowledged is lost: the real server process is killed with SIGKILL in the middle
 * of a stream of /llm/request calls; after a restart every id that got a 201 is stored.
 */
import { describe, expect, it } from 'vitest';
import { createProject, registerUser } from '../helpers/factories.js';
import { spawnServer, waitFor } from '../helpers/spawnServer.js';
import { useTestApp } from '../helpers/testApp.js';

const ctx = useTestApp();

describe('durability', () => {
  it('should keep every acknowledged row when the server is SIGKILLed mid-stream', async () => {
    const user = await registerUser(ctx.app);
    const project = await createProject(ctx.app, user);
    const env = { DATABASE_URL: ctx.databaseUrl, CRON_ENABLED: 'false' };

    const server = await spawnServer(env);
    await waitFor(`${server.baseUrl}/readyz`);
    const acknowledged: string[] = [];
    let stop = false;
    const worker = async (w: number) => {
      for (let i = 0; !stop; i++) {
        try {
          const res = await fetch(`${server.baseUrl}/api/v1/llm/request`, {
            method: 'POST',
            headers: { 'Content-Type': 'application/json', 'X-API-Key': project.apiKey },
            body: JSON.stringify({ model: 'gpt-4o', prompt: `worker ${w} call ${i}`, latencyMs: 10 + i }),
          });
          if (res.status === 201) acknowledged.push(((await res.json()) as { id: string }).id);
        } catch {
          // connection reset by the kill: not acknowledged, so not promised
          if (stop) break;
          await new Promise((r) => setTimeout(r, 5));
        }
      }
    };
    const workers = Array.from({ length: 16 }, (_, w) => worker(w));
    // kill mid-stream once a good number of calls were acknowledged (a loaded machine is slower)
    const started = Date.now();
    while (acknowledged.length < 60 && Date.now() - started < 20_000) await new Promise((r) => setTimeout(r, 50));
    server.child.kill('SIGKILL');
    await server.exited;
    stop = true;
    await Promise.all(workers);
    expect(acknowledged.length).toBeGreaterThanOrEqual(60);

    const again = await spawnServer(env);
    await waitFor(`${again.baseUrl}/readyz`);
    const stored = await ctx.prisma.llmRequest.findMany({ where: { id: { in: acknowledged } }, select: { id: true } });
    expect(stored.length).toBe(acknowledged.length);
    const res = await fetch(`${again.baseUrl}/api/v1/llm/request`, {
      method: 'POST',
      headers: { 'Content-Type': 'application/json', 'X-API-Key': project.apiKey },
      body: JSON.stringify({ model: 'gpt-4o', prompt: 'after restart', latencyMs: 1 }),
    });
    expect(res.status).toBe(201);
    again.child.kill('SIGTERM');
    expect((await again.exited).code).toBe(0);
  }, 120_000);
});
