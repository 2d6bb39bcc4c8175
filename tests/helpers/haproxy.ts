/**
 * A real HAProxy (Debian's package) in front of spawned API processes, run with the repo's own
 * deploy/haproxy/haproxy.cfg. `haproxyBinary()` installs the package when it is missing and the
 * test runs as root with apt-get; otherwise it returns why the test must be skipped.
 */
import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import path from 'node:path';
import { quietPort } from './ports.js';

export const HAPROXY_CONFIG = path.resolve(import.meta.dirname, '../../deploy/haproxy/haproxy.cfg');

function which(cmd: string): string | undefined {
  for (const dir of ['/usr/sbin', '/usr/bin', '/usr/local/sbin', '/usr/local/bin']) {
    try {
      execFileSync('test', ['-x', path.join(dir, cmd)]);
      return path.join(dir, cmd);
    } catch {
      // not there
    }
  }
  return undefined;
}

/** The haproxy binary, installing it if possible; `{ skip }` says why it cannot be had. */
export function haproxyBinary(): { path: string } | { skip: string } {
  const found = which('haproxy');
  if (found) return { path: found };
  if (process.getuid?.() !== 0 || !which('apt-get')) {
    return { skip: 'haproxy is not installed and cannot be installed here (needs root and apt-get)' };
  }
  try {
    execFileSync(
      'bash',
      ['-c', 'apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq haproxy'],
      {
        stdio: 'ignore',
        timeout: 300_000,
      },
    );
  } catch (err) {
    return { skip: `apt-get install haproxy failed: ${(err as Error).message.split('\n')[0]}` };
  }
  const installed = which('haproxy');
  return installed ? { path: installed } : { skip: 'apt-get installed no haproxy binary' };
}

export interface RunningHaproxy {
  url: string;
  statsUrl: string;
  child: ChildProcess;
  output: () => string;
  /** Server name (api1..api3) -> HAProxy's status (UP, DOWN, "UP 1/2", ...). */
  statuses(): Promise<Record<string, string>>;
  /** Waits until every named server has exactly `status`. */
  waitFor(servers: string[], status: string, timeoutMs?: number): Promise<void>;
  stop(): Promise<void>;
}

export async function startHaproxy(binary: string, backendPorts: number[]): Promise<RunningHaproxy> {
  const port = await quietPort();
  const statsPort = await quietPort();
  let output = '';
  const child = spawn(binary, ['-db', '-f', HAPROXY_CONFIG], {
    env: {
      ...process.env,
      HAPROXY_BIND: `127.0.0.1:${port}`,
      HAPROXY_STATS_BIND: `127.0.0.1:${statsPort}`,
      ...Object.fromEntries(backendPorts.map((p, i) => [`API${i + 1}_ADDR`, `127.0.0.1:${p}`])),
    },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  child.stdout?.on('data', (d: Buffer) => (output += d.toString()));
  child.stderr?.on('data', (d: Buffer) => (output += d.toString()));
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  process.once('exit', () => child.kill('SIGKILL'));
  const statsUrl = `http://127.0.0.1:${statsPort}/stats`;
  const statuses = async () => {
    const csv = await (await fetch(`${statsUrl};csv`)).text();
    const [header, ...rows] = csv.trim().split('\n');
    const cols = header!.replace(/^# /, '').split(',');
    const name = cols.indexOf('svname');
    const status = cols.indexOf('status');
    const proxy = cols.indexOf('pxname');
    const out: Record<string, string> = {};
    for (const row of rows) {
      const cells = row.split(',');
      if (cells[proxy] === 'api_replicas') out[cells[name]!] = cells[status]!;
    }
    return out;
  };
  const running: RunningHaproxy = {
    url: `http://127.0.0.1:${port}`,
    statsUrl,
    child,
    output: () => output,
    statuses,
    async waitFor(servers, status, timeoutMs = 60_000) {
      const deadline = Date.now() + timeoutMs;
      for (;;) {
        const now = await statuses().catch(() => ({}) as Record<string, string>);
        if (servers.every((s) => now[s] === status)) return;
        if (Date.now() > deadline) {
          throw new Error(`HAProxy servers ${servers.join(',')} not ${status}: ${JSON.stringify(now)}\n${output}`);
        }
        await new Promise((r) => setTimeout(r, 100));
      }
    },
    async stop() {
      child.kill('SIGTERM');
      await exited;
    },
  };
  return running;
}
