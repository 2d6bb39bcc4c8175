/** Ports for test servers that are chosen some time before something binds them. */
import { readFileSync } from 'node:fs';
import { portIsFree } from '../../src/db/localPorts.js';

/** Ports this process has handed out (each once). */
const handedOut = new Set<number>();

/**
 * A free port below the kernel's ephemeral range. A port from the ephemeral range (what
 * `listen(0)` hands out) can be taken as the local end of any outbound connection of a parallel
 * test in the seconds between choosing it and `pg_ctl start` (initdb and pg_basebackup run in
 * between): CI once failed that way with "could not start server".
 */
export async function quietPort(): Promise<number> {
  let low = 32768;
  try {
    low = Number(readFileSync('/proc/sys/net/ipv4/ip_local_port_range', 'utf8').trim().split(/\s+/)[0]) || low;
  } catch {
    /* not Linux: keep the usual default */
  }
  const floor = 20000;
  const span = Math.max(1000, low - floor);
  for (let attempt = 0; attempt < 50; attempt++) {
    const port = floor + Math.floor(Math.random() * span);
    // never the same port twice in one process: servers spawned together bind theirs seconds later
    if (handedOut.has(port) || !(await portIsFree(port))) continue;
    handedOut.add(port);
    return port;
  }
  throw new Error('no free port found below the ephemeral range');
}
