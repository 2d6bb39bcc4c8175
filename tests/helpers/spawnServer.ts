/** Runs the real server process (src/server.ts through tsx) for process-level tests. */
import { spawn, type ChildProcess } from 'node:child_process';
import { readFileSync, readdirSync, readlinkSync } from 'node:fs';
import path from 'node:path';
import { quietPort } from './ports.js';

const ROOT = path.resolve(import.meta.dirname, '../..');

export interface SpawnedServer {
  child: ChildProcess;
  port: number;
  baseUrl: string;
  output: () => string;
  exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
}

// A failing test must not leave servers behind: whatever is still running when the test
// worker exits is killed.
const running = new Set<ChildProcess>();
process.once('exit', () => {
  for (const child of running) child.kill('SIGKILL');
});

/** `port`: listen there (a restarted replica keeps its balancer address); default a free one. */
export async function spawnServer(
  env: Record<string, string>,
  options: { cwd?: string; port?: number } = {},
): Promise<SpawnedServer> {
  const port = options.port ?? (await quietPort());
  let output = '';
  const child = spawn(process.execPath, ['--import', 'tsx', 'src/server.ts'], {
    cwd: options.cwd ?? ROOT,
    env: {
      ...process.env,
      NODE_ENV: 'test',
      LOG_LEVEL: 'info',
      LOG_PRETTY: 'false',
      PORT: String(port),
      HOST: '127.0.0.1',
      ...env,
    },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  child.stdout?.on('data', (d: Buffer) => (output += d.toString()));
  child.stderr?.on('data', (d: Buffer) => (output += d.toString()));
  running.add(child);
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) =>
    child.once('exit', (code, signal) => {
      running.delete(child);
      resolve({ code, signal });
    }),
  );
  return { child, port, baseUrl: `http://127.0.0.1:${port}`, output: () => output, exited };
}

/** Polls `url` until it answers `status` or the time runs out. */
export async function waitFor(url: string, status = 200, timeoutMs = 90_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    try {
      const res = await fetch(url);
      if (res.status === status) return;
    } catch {
      // not listening yet
    }
    if (Date.now() > deadline) throw new Error(`${url} did not answer ${status} within ${timeoutMs} ms`);
    await new Promise((r) => setTimeout(r, 200));
  }
}

/**
 * The inodes of the sockets listening on TCP `port` (IPv4 and IPv6), from /proc/net; undefined
 * where there is no /proc (not Linux).
 */
function listeningInodes(port: number): Set<string> | undefined {
  const inodes = new Set<string>();
  const hexPort = port.toString(16).toUpperCase().padStart(4, '0');
  let read = false;
  for (const table of ['/proc/net/tcp', '/proc/net/tcp6']) {
    let text: string;
    try {
      text = readFileSync(table, 'utf8');
    } catch {
      continue;
    }
    read = true;
    for (const line of text.split('\n').slice(1)) {
      const f = line.trim().split(/\s+/);
      // local_address is ADDR:PORT in hex, st 0A is LISTEN, inode is the tenth field
      if (f[1]?.endsWith(`:${hexPort}`) && f[3] === '0A' && f[9]) inodes.add(f[9]);
    }
  }
  return read ? inodes : undefined;
}

/** Whether process `pid` holds a socket listening on `port` (true where /proc cannot tell). */
export function listensOn(pid: number, port: number): boolean {
  const inodes = listeningInodes(port);
  if (!inodes) return true;
  let fds: string[];
  try {
    fds = readdirSync(`/proc/${pid}/fd`);
  } catch {
    return false;
  }
  return fds.some((fd) => {
    try {
      const m = /^socket:\[(\d+)\]$/.exec(readlinkSync(`/proc/${pid}/fd/${fd}`));
      return m !== null && inodes.has(m[1]!);
    } catch {
      return false;
    }
  });
}

/**
 * Waits until this server, not merely something on its port, answers: /readyz says 200 and the
 * child holds the listening socket. A replica that lost its port to another process (and exited
 * on EADDRINUSE) would otherwise look ready through that process: a rolling restart then signals
 * a child that is already gone and waits for a balancer that never sees it leave.
 */
export async function waitForServer(server: SpawnedServer, timeoutMs = 90_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  let exit: { code: number | null; signal: NodeJS.Signals | null } | undefined;
  void server.exited.then((e) => (exit = e));
  const fail = (why: string) => new Error(`server on port ${server.port} ${why}\n${server.output()}`);
  for (;;) {
    if (exit) throw fail(`exited (${JSON.stringify(exit)}) before it was ready`);
    let status = 0;
    try {
      status = (await fetch(`${server.baseUrl}/readyz`)).status;
    } catch {
      // not listening yet
    }
    if (status === 200 && server.child.pid !== undefined && listensOn(server.child.pid, server.port)) return;
    if (Date.now() > deadline) throw fail(`not ready within ${timeoutMs} ms (last /readyz ${status || 'no answer'})`);
    await new Promise((r) => setTimeout(r, 200));
  }
}
