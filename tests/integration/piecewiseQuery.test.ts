/**
 * A statement whose large text parameters are written in pieces (db/piecewiseQuery.ts), on a
 * real PostgreSQL: the texts arrive byte for byte whatever lies across the pieces' edges, each
 * piece is written after a pause, errors reach the caller with the server's code and leave the
 * connection usable, and the ingest writer stores a batch of megabytes through it as it stored
 * it in one message.
 */
import { createHash } from 'node:crypto';
import pg from 'pg';
import { describe, expect, it } from 'vitest';
import { resilientPool } from '../../src/db/resilientPool.js';
import { PiecewiseQuery, type PiecewiseResult, pieceEnd } from '../../src/db/piecewiseQuery.js';
import { postgresErrorCode } from '../../src/db/pgErrors.js';
import { messagesFromPrompt } from '../../src/services/ingest/messagesInPrompt.js';
import { IngestWriter, poolExecutor } from '../../src/services/ingest/ingestWriter.js';
import { seedTenant } from '../helpers/factories.js';
import { requestRow } from '../helpers/requestRows.js';
import { useTestApp } from '../helpers/testApp.js';

const ctx = useTestApp();

const md5 = (s: string) => createHash('md5').update(s, 'utf8').digest('hex');

/** Runs `query` on `client` as pg-pool does (the callback form), as a promise. */
function run(client: pg.ClientBase, query: PiecewiseQuery): Promise<PiecewiseResult> {
  return new Promise((resolve, reject) => {
    (
      client as unknown as { query(q: unknown, v: unknown, cb: (err: Error | null, r?: PiecewiseResult) => void): void }
    ).query(query, undefined, (err, result) => (err ? reject(err) : resolve(result!)));
  });
}

async function withClient<T>(fn: (client: pg.Client) => Promise<T>): Promise<T> {
  const client = new pg.Client({ connectionString: ctx.databaseUrl });
  await client.connect();
  try {
    return await fn(client);
  } finally {
    await client.end().catch(() => undefined);
  }
}

describe('pieceEnd', () => {
  it('should never end a piece between the two halves of a surrogate pair', () => {
    const text = 'a😀b😀😀c'.repeat(50);
    for (const size of [1, 2, 3, 5, 7]) {
      const pieces: string[] = [];
      for (let from = 0; from < text.length;) {
        const end = pieceEnd(text, from, size);
        expect(end).toBeGreaterThan(from);
        pieces.push(text.slice(from, end));
        from = end;
      }
      expect(pieces.join('')).toBe(text);
      for (const piece of pieces) expect(piece.isWellFormed()).toBe(true);
    }
  });
});

describe('PiecewiseQuery on PostgreSQL', () => {
  it('should deliver large and small texts and nulls byte for byte, whatever lies across the pieces', async () => {
    // ASCII, two- and three-byte characters and surrogate pairs, pieces of 7,001 characters (an edge
    // falls between the halves of a pair again and again)
    const large = 'é✓x😀'.repeat(30_000) + 'z😀'.repeat(1_001);
    let pauses = 0;
    const query = new PiecewiseQuery(
      'SELECT md5($1) AS digest, length($1)::text AS chars, $2::text AS small, $3::text AS missing, $4::text AS tail',
      [large, 'petit é', null, '😀'],
      { pieceChars: 7_001, pause: async () => void pauses++ },
    );
    const { rows } = await withClient((client) => run(client, query));
    expect(rows).toEqual([
      { digest: md5(large), chars: String([...large].length), small: 'petit é', missing: null, tail: '😀' },
    ]);
    // one pause after each piece of the large text
    expect(pauses).toBe(Math.ceil(large.length / 7_001));
  });

  it("should pause after each piece's worth of shorter texts too", async () => {
    const texts = ['a', 'b', 'c', 'd', 'e'].map((c) => c.repeat(30_000));
    let pauses = 0;
    const query = new PiecewiseQuery('SELECT md5($1 || $2 || $3 || $4 || $5) AS digest', texts, {
      pieceChars: 50_000,
      pause: async () => void pauses++,
    });
    const { rows } = await withClient((client) => run(client, query));
    expect(rows).toEqual([{ digest: md5(texts.join('')) }]);
    // 60,000 characters reached after the second and the fourth text
    expect(pauses).toBe(2);
  });

  it('should answer every row of the result as an object of texts', async () => {
    const big = 'n'.repeat(200_000);
    const { rows } = await withClient((client) =>
      run(
        client,
        new PiecewiseQuery('SELECT g::text AS n, length($1)::text AS len FROM generate_series(1, 3) g', [big]),
      ),
    );
    expect(rows).toEqual([
      { n: '1', len: '200000' },
      { n: '2', len: '200000' },
      { n: '3', len: '200000' },
    ]);
  });

  it("should fail with the server's error and leave the connection usable", async () => {
    await withClient(async (client) => {
      const failing = new PiecewiseQuery('SELECT length($1) / 0 AS x', ['e'.repeat(300_000)], { pieceChars: 50_000 });
      const err = await run(client, failing).catch((e: unknown) => e);
      expect(postgresErrorCode(err)).toBe('22012');
      expect((await client.query('SELECT 41 + 1 AS answer')).rows).toEqual([{ answer: 42 }]);
      // and another piecewise statement after it
      const again = await run(client, new PiecewiseQuery('SELECT length($1)::text AS len', ['f'.repeat(300_000)]));
      expect(again.rows).toEqual([{ len: '300000' }]);
    });
  });

  it('should fail, and a pool go on with a new connection, when the connection is lost between pieces', async () => {
    const pool = resilientPool({ connectionString: ctx.databaseUrl, max: 1 });
    try {
      const client = await pool.connect();
      const socket = (client as unknown as { connection: { stream: { destroy(): void } } }).connection.stream;
      client.release();
      let pieces = 0;
      const cut = new PiecewiseQuery('SELECT length($1)::text AS len', ['g'.repeat(100_000)], {
        pieceChars: 10_000,
        pause: async () => {
          if (++pieces === 3) socket.destroy();
        },
      });
      await expect(pool.query(cut as never)).rejects.toThrow();
      expect(pieces).toBe(3);
      const after = (await pool.query(
        new PiecewiseQuery('SELECT length($1)::text AS len', ['h'.repeat(200_000)]) as never,
      )) as PiecewiseResult;
      expect(after.rows).toEqual([{ len: '200000' }]);
    } finally {
      await pool.end();
    }
  });

  it('should let the ingest writer store a chat call of megabytes through a pool as it was sent', async () => {
    const tenant = await seedTenant(ctx);
    const pool = resilientPool({ connectionString: ctx.databaseUrl, max: 2 });
    const writer = new IngestWriter(poolExecutor(pool), { maxBatch: 4, maxWaitMs: 5 });
    try {
      const content = 'Ünïcödé 😀 text, '.repeat(40_000);
      const messages = [
        { role: 'system', content: 'be brief' },
        { role: 'user', content, name: 'ana' },
        { role: 'assistant', content: '' },
      ];
      const prompt = messages.map((m) => `${m.role}: ${m.content}`).join('\n\n');
      const response = 'réponse 😀 '.repeat(60_000);
      const rows = [0, 1].map((i) => requestRow(tenant.project.id, { prompt: `${i}${prompt}`, response, messages }));
      await Promise.all(rows.map((row) => writer.write(row)));
      const stored = await ctx.prisma.llmRequest.findMany({
        where: { projectId: tenant.project.id },
        select: { prompt: true, response: true, messages: true },
      });
      expect(stored.map((row) => row.prompt).sort()).toEqual([`0${prompt}`, `1${prompt}`]);
      for (const row of stored) {
        expect(row.response).toBe(response);
        expect(messagesFromPrompt(row.messages, row.prompt)).toEqual(messages);
      }
    } finally {
      await writer.close();
      await pool.end();
    }
  });
});
