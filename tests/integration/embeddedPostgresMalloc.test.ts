/**
 * The embedded PostgreSQL runs with glibc allocator settings (db/embeddedPostgres.ts,
 * EMBEDDED_PG_MALLOC_TUNABLES) under which a backend reuses the memory of a large message
 * instead of mapping, faulting in and unmapping fresh pages for every one. Checked by the
 * backend's own page-fault count (/proc/<pid>/stat, minflt) over statements carrying a 2 MB
 * parameter: with glibc's defaults each costs 1,500 faults or more (three copies of 512 pages),
 * with the settings a few dozen. Skipped against an external server (TEST_DATABASE_URL), whose
 * settings are the operator's, and where the backend's /proc entry cannot be read.
 */
import { existsSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import pg from 'pg';
import { describe, expect, inject, it } from 'vitest';

const STATEMENTS = 5;
const PAYLOAD = 'x'.repeat(2 * 1024 * 1024);

async function minorFaults(pid: number): Promise<number> {
  const stat = await readFile(`/proc/${pid}/stat`, 'utf8');
  // Fields after "(comm) ": state is field 3, minflt field 10.
  return Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[7]);
}

describe.skipIf(Boolean(process.env.TEST_DATABASE_URL) || process.env.GLIBC_TUNABLES !== undefined)(
  'the embedded PostgreSQL allocator settings',
  () => {
    it('should let a backend take 2 MB statements without faulting in fresh pages for each', async () => {
      const client = new pg.Client({ connectionString: inject('serverUrl') });
      await client.connect();
      try {
        const { rows } = await client.query<{ pid: number }>('SELECT pg_backend_pid() AS pid');
        const pid = rows[0]!.pid;
        if (!existsSync(`/proc/${pid}/stat`)) return;
        await client.query('SELECT $1::text IS NULL', [PAYLOAD]); // the heap grows once
        const before = await minorFaults(pid);
        for (let i = 0; i < STATEMENTS; i++) await client.query('SELECT $1::text IS NULL', [PAYLOAD]);
        const perStatement = ((await minorFaults(pid)) - before) / STATEMENTS;
        expect(perStatement).toBeLessThan(300);
      } finally {
        await client.end();
      }
    });
  },
);
