/**
 * The embedded PostgreSQL runs with glibc allocator settings (db/embeddedPostgres.ts,
 * EMBEDDED_PG_MALLOC_TUNABLES) under which a backend reuses the memory of a large message
 * instead of mapping, faulting in and unmapping fresh pages for every one. Checked by the
 * backend's own page-fault count (/proc/<pid>/stat, minflt) over statements carrying a 2 MB
 * parameter: with glibc's defaults each costs 1,500 faults or more (three copies of 512 pages),
 * with the settings a few dozen. The same over rows as the ingest writer stores them (a 1 MB
 * prompt with a 1 MB response, and the largest row the API takes), whose peak use of the heap
 * sets how much freed memory a backend keeps. Skipped against an external server (TEST_DATABASE_URL), whose
 * settings are the operator's, and where the backend's /proc entry cannot be read.
 */
import { existsSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import pg from 'pg';
import { describe, expect, inject, it } from 'vitest';
import { createPrisma } from '../../src/db/prisma.js';
import { batchStatement, type LlmRequestRow } from '../../src/services/ingest/ingestBatch.js';
import { createDatabase } from '../helpers/testDb.js';
import { requestRow } from '../helpers/requestRows.js';
import { BATCH_WARMUP_SQL } from '../../src/services/ingest/ingestBatch.js';
import { BACKEND_HEAP_WARMUP_SQL, connectionWarmer, nextConnectionWarmer } from '../../src/services/requestWarmup.js';

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

    // Storing a row from one JSON parameter took about eight times the row in the backend's heap
    // at its peak (17 MiB for a 1 MB prompt with a 1 MB response, about 45 MiB for 2 MB of prose
    // in chat messages, about 70 MiB for the same stored redacted). With glibc handing free heap
    // back above 16 MiB (or 32) the second faulted its memory in again for each row (10,700
    // faults, measured), above 64 MiB the third (17,000); with 256 MiB a few dozen. With the
    // large texts as parameters of their own the peak is about the same: a fresh backend faults in
    // 31, 81 and 92 MiB for its first row of each kind against 26, 70 and 82 from one JSON text.
    const MB = 1024 * 1024;
    const unit = 'Please summarise this ticket and draft a reply. ';
    const oneMb = unit.repeat(Math.floor(MB / unit.length));
    const largeRows: [string, (projectId: string) => LlmRequestRow][] = [
      ['a 1 MB prompt with a 1 MB response', (projectId) => requestRow(projectId, { prompt: oneMb, response: oneMb })],
      [
        '2 MB of prose in chat messages, their transcript and a 1 MB response',
        (projectId) => {
          const content = oneMb.slice(0, MB - 64);
          return requestRow(projectId, {
            prompt: `${content}\n${content}`,
            response: oneMb,
            messages: [
              { role: 'user', content },
              { role: 'user', content },
            ],
          });
        },
      ],
      [
        'the largest row as stored after redaction (2 MB of e-mail addresses in chat messages and 1 MB in the response, each "[EMAIL]")',
        (projectId) => {
          // "a@b.co " is 7 characters, "[EMAIL] " 8: redaction makes the texts longer than sent.
          const redacted = (sentChars: number) => '[EMAIL] '.repeat(Math.floor(sentChars / 7));
          const content = redacted(2 * MB - 40);
          return requestRow(projectId, {
            prompt: `user: ${content}`,
            response: redacted(MB),
            messages: [{ role: 'user', content }],
          });
        },
      ],
    ];
    it.each(largeRows)(
      'should let a backend store rows of %s without faulting in their memory again',
      async (_, row) => {
        const db = await createDatabase();
        const prisma = createPrisma(db.url, 1);
        const client = new pg.Client({ connectionString: db.url });
        try {
          const user = await prisma.user.create({ data: { email: 'malloc@example.com', passwordHash: 'x' } });
          const project = await prisma.project.create({ data: { ownerId: user.id, name: 'malloc' } });
          await client.connect();
          const { rows } = await client.query<{ pid: number }>('SELECT pg_backend_pid() AS pid');
          const pid = rows[0]!.pid;
          if (!existsSync(`/proc/${pid}/stat`)) return;
          // as the ingest writer stores it: the large texts as parameters of their own
          const store = async () => {
            const { sql, params } = await batchStatement([row(project.id)], '[]', async () => undefined);
            return client.query(sql, params);
          };
          await store(); // the heap grows once
          const before = await minorFaults(pid);
          for (let i = 0; i < STATEMENTS; i++) await store();
          const perStatement = ((await minorFaults(pid)) - before) / STATEMENTS;
          expect(perStatement).toBeLessThan(300);
          expect(await prisma.llmRequest.count({ where: { projectId: project.id } })).toBe(STATEMENTS + 1);
        } finally {
          await client.end();
          await prisma.$disconnect();
          await db.drop();
        }
      },
    );

    it('should have the connection the pool hands out after the start-up warm-up store the largest row without faulting in its memory', async () => {
      const db = await createDatabase();
      const prisma = createPrisma(db.url, 1);
      const pool = new pg.Pool({ connectionString: db.url, max: 2 });
      try {
        const user = await prisma.user.create({ data: { email: 'heap@example.com', passwordHash: 'x' } });
        const project = await prisma.project.create({ data: { ownerId: user.id, name: 'heap' } });
        const [, , largest] = largeRows;
        const store = async (client: pg.PoolClient) => {
          const { sql, params } = await batchStatement([largest![1](project.id)], '[]', async () => undefined);
          const pid = (await client.query<{ pid: number }>('SELECT pg_backend_pid() AS pid')).rows[0]!.pid;
          const before = await minorFaults(pid);
          await client.query(sql, params);
          return (await minorFaults(pid)) - before;
        };
        // as the server warms up before listening (server.ts): every connection, then the heap of the next one
        await connectionWarmer(pool, 2, BATCH_WARMUP_SQL).warmUpQueries();
        await nextConnectionWarmer(pool, [BACKEND_HEAP_WARMUP_SQL]).warmUpQueries();
        const warmed = await pool.connect();
        const other = await pool.connect();
        try {
          const pid = (await warmed.query<{ pid: number }>('SELECT pg_backend_pid() AS pid')).rows[0]!.pid;
          if (!existsSync(`/proc/${pid}/stat`)) return;
          // the other connection's backend, as fresh as without the warm-up: about 23,000 faults
          expect(await store(other)).toBeGreaterThan(10_000);
          expect(await store(warmed)).toBeLessThan(2_000);
        } finally {
          warmed.release();
          other.release();
        }
      } finally {
        await pool.end();
        await prisma.$disconnect();
        await db.drop();
      }
    });
  },
);
