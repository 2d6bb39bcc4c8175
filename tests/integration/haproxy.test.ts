/**
 * Three API processes behind a real HAProxy (deploy/haproxy/haproxy.cfg, /readyz health checks).
 * A rolling restart of all three under a bounded load fails no request and every 201 is a stored
 * row (SIGTERM: /readyz 503 for SHUTDOWN_DRAIN_DELAY_MS, HAProxy takes the process out, it drains
 * and exits). A kill -9 of one process costs at most the requests in flight on it, which the
 * client sees as 5xx errors, never as a 201 without a row.
 */
import { afterAll, describe, expect, it } from 'vitest';
import { createProject, registerUser, upgradeUser } from '../helpers/factories.js';
import { haproxyBinary, startHaproxy, type RunningHaproxy } from '../helpers/haproxy.js';
import { spawnServer, waitForServer, type SpawnedServer } from '../helpers/spawnServer.js';
import { useTestApp } from '../helpers/testApp.js';

const haproxy = haproxyBinary();
if ('skip' in haproxy) console.warn(`[haproxy.test] skipped: ${haproxy.skip}`);

const ctx = useTestApp({ openai: null });
const servers: SpawnedServer[] = [];
let balancer: RunningHaproxy | undefined;
afterAll(async () => {
  for (const s of servers) s.child.kill('SIGKILL');
  await balancer?.stop();
});

const WORKERS = 4;
/** Pause between one worker's requests: a steady load that leaves the shared machine's CPU to the restarts. */
const PAUSE_MS = 20;
/** Upper bound of requests per worker and phase: the load is bounded even if a phase hangs. */
const MAX_PER_WORKER = 5_000;

interface Outcome {
  status: number; // 0 = network error
  id?: string;
  /** error code and message of a refusal, ms since the test started */
  error?: string;
  at?: number;
}

const t0 = Date.now();
const step = (what: string) => console.info(`[haproxy.test] +${Date.now() - t0} ms ${what}`);

/** WORKERS sequential clients posting through HAProxy until `stop` resolves. */
function load(url: string, apiKey: string, stop: Promise<void>) {
  let stopped = false;
  void stop.then(() => (stopped = true));
  const outcomes: Outcome[] = [];
  const worker = async (w: number) => {
    for (let i = 0; i < MAX_PER_WORKER && !stopped; i++) {
      try {
        const res = await fetch(`${url}/api/v1/llm/request`, {
          method: 'POST',
          headers: { 'Content-Type': 'application/json', 'X-API-Key': apiKey },
          body: JSON.stringify({ model: 'gpt-4o', prompt: `w${w} #${i} hello`, response: 'ok', latencyMs: 12 }),
        });
        const text = await res.text();
        if (res.status === 201) outcomes.push({ status: 201, id: (JSON.parse(text) as { id: string }).id });
        else outcomes.push({ status: res.status, error: text.slice(0, 300), at: Date.now() - t0 });
      } catch (err) {
        outcomes.push({ status: 0, error: String(err), at: Date.now() - t0 });
      }
      await new Promise((r) => setTimeout(r, PAUSE_MS));
    }
  };
  return Promise.all(Array.from({ length: WORKERS }, (_, w) => worker(w))).then(() => outcomes);
}

async function storedCount(ids: string[]): Promise<number> {
  const [row] = await ctx.prisma.$queryRawUnsafe<{ n: number }[]>(
    'SELECT count(*)::int AS n FROM llm_requests WHERE id = ANY($1::text[])',
    ids,
  );
  return row!.n;
}

describe.skipIf('skip' in haproxy)('three replicas behind HAProxy', () => {
  it('should restart every replica under load without a failed request, and lose no 201 to a kill -9', async () => {
    const user = await registerUser(ctx.app);
    await upgradeUser(ctx.prisma, user.id);
    const project = await createProject(ctx.app, user);
    const env = {
      DATABASE_URL: ctx.databaseUrl,
      MIGRATE_ON_START: 'false',
      CRON_ENABLED: 'false',
      LOG_LEVEL: 'warn',
      // HAProxy checks every 1 s and needs 3 failures: 5 s lets it notice with a margin.
      SHUTDOWN_DRAIN_DELAY_MS: '5000',
    };
    for (let i = 0; i < 3; i++) servers.push(await spawnServer(env));
    await Promise.all(servers.map((s) => waitForServer(s, 300_000)));
    balancer = await startHaproxy(
      (haproxy as { path: string }).path,
      servers.map((s) => s.port),
    );
    const names = ['api1', 'api2', 'api3'];
    await balancer.waitFor(names, 'UP');
    expect((await fetch(`${balancer.url}/readyz`)).status).toBe(200);

    // 1. rolling restart of all three under load
    let finish!: () => void;
    const rollingDone = new Promise<void>((r) => (finish = r));
    const running = load(balancer.url, project.apiKey, rollingDone);
    await new Promise((r) => setTimeout(r, 500));
    for (let i = 0; i < 3; i++) {
      const old = servers[i]!;
      old.child.kill('SIGTERM');
      // Draining: still serving, but out of rotation.
      await balancer.waitFor([names[i]!], 'DOWN').catch((err: Error) => {
        throw new Error(
          `${err.message}\nreplica ${i} (pid ${old.child.pid}, exit ${old.child.exitCode}):\n${old.output()}`,
        );
      });
      step(`replica ${i} out of rotation`);
      const exitStarted = Date.now();
      const exit = await Promise.race([old.exited, new Promise((r) => setTimeout(r, 60_000, 'timeout'))]);
      if (exit === 'timeout') throw new Error(`replica ${i} did not exit after SIGTERM:\n${old.output()}`);
      expect(exit).toEqual({ code: 0, signal: null });
      step(`replica ${i} exited ${Date.now() - exitStarted} ms after leaving rotation`);
      const fresh = await spawnServer(env, { port: old.port });
      servers[i] = fresh;
      // Generous: a start-up on a busy shared machine can take minutes.
      await waitForServer(fresh, 300_000);
      await balancer.waitFor([names[i]!], 'UP');
      step(`replica ${i} back`);
    }
    await new Promise((r) => setTimeout(r, 500));
    finish();
    const rolling = await running;
    const created = rolling.filter((o) => o.status === 201);
    expect(rolling.filter((o) => o.status !== 201)).toEqual([]);
    expect(created.length).toBeGreaterThan(WORKERS * 3);
    expect(await storedCount(created.map((o) => o.id!))).toBe(created.length);
    console.info(`[haproxy.test] rolling restart: ${rolling.length} requests, 0 failed, ${created.length} stored`);

    // 2. kill -9 of one replica under load
    let stopKill!: () => void;
    const killDone = new Promise<void>((r) => (stopKill = r));
    const underKill = load(balancer.url, project.apiKey, killDone);
    await new Promise((r) => setTimeout(r, 1000));
    servers[1]!.child.kill('SIGKILL');
    await servers[1]!.exited;
    await balancer.waitFor(['api2'], 'DOWN');
    await new Promise((r) => setTimeout(r, 1000));
    stopKill();
    const killed = await underKill;
    const ok = killed.filter((o) => o.status === 201);
    const failed = killed.filter((o) => o.status !== 201);
    // Only what was in flight on the killed process fails (each worker has one request in flight),
    // and it fails visibly: a gateway error, never a success.
    expect(failed.length).toBeLessThanOrEqual(WORKERS);
    for (const f of failed) expect([0, 502, 503, 504]).toContain(f.status);
    expect(await storedCount(ok.map((o) => o.id!))).toBe(ok.length);
    console.info(
      `[haproxy.test] kill -9: ${killed.length} requests, ${failed.length} failed (${failed.map((f) => f.status).join(',')}), ${ok.length} stored`,
    );
  }, 1_800_000);
});
