/**
 * A lower CPU priority for one backend of a PostgreSQL on this machine (the embedded one, or a
 * DATABASE_URL on 127.0.0.1): the connection that builds the search vectors of large rows after
 * their commit (services/ingest/searchFillConnection.ts).
 *
 * Why the nice value alone is not enough on Linux: every PostgreSQL backend starts a session of
 * its own (setsid), and with the kernel's autogroup scheduling (`kernel.sched_autogroup_enabled`,
 * on in most distributions) each session is a scheduling group of its own. CPU time is shared
 * between groups first, so one busy backend got as much of the machine as the whole API process
 * with its request thread and its two scoring threads together, whatever its nice value. The
 * group's own nice value (`/proc/<pid>/autogroup`, which a process's owner may raise) is what
 * counts there; the process's nice value still counts where autogroup is off (a service in a
 * cgroup of its own, a kernel without it).
 *
 * Only the process that serves this very connection is touched: PostgreSQL names each backend
 * after its client (`postgres: user database 127.0.0.1(54321) ...`), so the process with the
 * backend's id must carry the connection's own client port in its title. A database on another
 * host or in another process namespace (a container), or one reached over a Unix socket, gives no
 * such process here, and its connection keeps the normal priority.
 */
import { readFile, writeFile } from 'node:fs/promises';
import os from 'node:os';
import { errorText } from './backoff.js';

export type PriorityOutcome = { lowered: true; autogroup: boolean } | { lowered: false; reason: string };

/** A process's session id, from /proc (undefined when there is no such process here). */
async function processOf(pid: number): Promise<{ session: number } | undefined> {
  const stat = await readFile(`/proc/${pid}/stat`, 'utf8').catch(() => undefined);
  if (stat === undefined) return undefined;
  // "pid (comm) state ppid pgrp session ...": comm may hold spaces and parentheses, so read from the last ')'
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  return { session: Number(fields[3]) };
}

/**
 * Gives backend `backendPid`, which serves the connection from local TCP port `clientPort`, the
 * nice value `nice` (1-19), and its autogroup too where the kernel has one. Never throws: what
 * could not be done is the reason.
 */
export async function lowerBackendPriority(
  backendPid: number,
  clientPort: number | undefined,
  nice: number,
): Promise<PriorityOutcome> {
  if (process.platform !== 'linux') return { lowered: false, reason: 'not Linux' };
  if (clientPort === undefined) return { lowered: false, reason: 'not a TCP connection' };
  const title = await readFile(`/proc/${backendPid}/cmdline`, 'utf8').catch(() => '');
  const backend = await processOf(backendPid);
  if (!backend || !title.startsWith('postgres') || !title.includes(`(${clientPort})`)) {
    return { lowered: false, reason: `the database's backend ${backendPid} is not a process of this machine` };
  }
  try {
    os.setPriority(backendPid, nice);
  } catch (err) {
    return { lowered: false, reason: errorText(err) };
  }
  // The autogroup is the session's: only a backend leading a session of its own has one to itself
  // (raising a group the other backends share would slow the rows' inserts too).
  const autogroup =
    backend.session === backendPid &&
    (await writeFile(`/proc/${backendPid}/autogroup`, String(nice)).then(
      () => true,
      () => false, // no autogroup scheduling here (kernel setting, or not in the root cgroup)
    ));
  return { lowered: true, autogroup };
}

/** A process's nice value and its autogroup's (undefined where there is none), from /proc: for tests and diagnostics. */
export async function priorityOf(pid: number): Promise<{ nice: number; autogroupNice: number | undefined }> {
  const stat = await readFile(`/proc/${pid}/stat`, 'utf8');
  const nice = Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[16]);
  const group = await readFile(`/proc/${pid}/autogroup`, 'utf8').catch(() => undefined);
  const match = group === undefined ? null : /nice (-?\d+)/.exec(group);
  return { nice, autogroupNice: match ? Number(match[1]) : undefined };
}
