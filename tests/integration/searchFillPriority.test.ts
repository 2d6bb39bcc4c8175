/**
 * The search fills of large rows run on a connection of their own whose PostgreSQL backend has a
 * low CPU priority, it and its scheduling group (services/ingest/searchFillConnection.ts,
 * db/backendPriority.ts); a process that is not this connection's backend is never touched.
 */
import pg from 'pg';
import pino from 'pino';
import { beforeAll, describe, expect, it } from 'vitest';
import { lowerBackendPriority, priorityOf } from '../../src/db/backendPriority.js';
import { registerDeferredSearch } from '../../src/services/ingest/deferredSearch.js';
import { IngestWriter } from '../../src/services/ingest/ingestWriter.js';
import { searchFillConnection } from '../../src/services/ingest/searchFillConnection.js';
import { createProject, registerUser, type TestProject } from '../helpers/factories.js';
import { eventually } from '../helpers/eventually.js';
import { requestRow } from '../helpers/requestRows.js';
import { useTestApp } from '../helpers/testApp.js';

const ctx = useTestApp();
/** The test database is a throw-away embedded server on this machine unless TEST_DATABASE_URL names another. */
const local = !process.env.TEST_DATABASE_URL;
let project: TestProject;

beforeAll(async () => {
  project = await createProject(ctx.app, await registerUser(ctx.app));
});

async function withClient<T>(fn: (client: pg.Client, pid: number) => Promise<T>): Promise<T> {
  const client = new pg.Client({ connectionString: ctx.databaseUrl });
  await client.connect();
  try {
    const { rows } = await client.query<{ pid: number }>('SELECT pg_backend_pid() AS pid');
    return await fn(client, rows[0]!.pid);
  } finally {
    await client.end();
  }
}

describe('search fills at a low priority', () => {
  it.skipIf(!local)('should fill a large row on a backend at nice 19, its autogroup too', async () => {
    const fills = searchFillConnection({
      connectionString: ctx.databaseUrl,
      nice: 19,
      logger: pino({ level: 'silent' }),
    });
    const writer = new IngestWriter(ctx.prisma, { maxBatch: 10, maxWaitMs: 1 });
    registerDeferredSearch(writer, fills);
    try {
      const large = requestRow(project.id, {
        apiKeyId: project.apiKeyId,
        prompt: 'zebracorn '.repeat(5_000),
        response: null,
      });
      await writer.write(large);
      await eventually(async () => {
        const [r] = await ctx.prisma.$queryRawUnsafe<{ filled: boolean }[]>(
          'SELECT search IS NOT NULL AS filled FROM llm_requests WHERE id = $1',
          large.id,
        );
        return r?.filled;
      }, 20_000);
      const outcome = await fills.priority;
      expect(outcome).toMatchObject({ lowered: true });
      const [backend] = await fills.$queryRawUnsafe<{ pid: number }[]>('SELECT pg_backend_pid() AS pid');
      const priority = await priorityOf(backend!.pid);
      expect(priority.nice).toBe(19);
      // where the kernel schedules by autogroup, the backend's own group is at 19 too
      if (priority.autogroupNice !== undefined) {
        expect(outcome).toEqual({ lowered: true, autogroup: true });
        expect(priority.autogroupNice).toBe(19);
      }
    } finally {
      await writer.close();
      await fills.close();
    }
  });

  it.skipIf(!local)("should leave a backend alone that does not serve the connection's port", async () => {
    await withClient(async (client, pid) => {
      const port = (client as unknown as { connection: { stream: { localPort: number } } }).connection.stream.localPort;
      const outcome = await lowerBackendPriority(pid, port + 1, 19);
      expect(outcome).toEqual({
        lowered: false,
        reason: `the database's backend ${pid} is not a process of this machine`,
      });
      expect((await priorityOf(pid)).nice).toBe(0);
      expect(await lowerBackendPriority(pid, undefined, 19)).toEqual({
        lowered: false,
        reason: 'not a TCP connection',
      });
      // no such process here at all (as with a database on another host)
      expect(await lowerBackendPriority(2 ** 22 + 1, port, 19)).toMatchObject({ lowered: false });
      expect((await priorityOf(pid)).nice).toBe(0);
    });
  });
});
