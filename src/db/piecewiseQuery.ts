/**
 * A statement whose large text parameters are sent to PostgreSQL in pieces, a turn of the event
 * loop apart, in place of node-postgres' one Bind message built in one go.
 *
 * node-postgres serialises every parameter of a query into one buffer before it writes it: for a
 * batch holding a 3 MB chat call (about 6 MB of redacted text) that took the request thread
 * 8-47 ms in one turn (bench:adversarial), most of it page faults as the buffer grew and was
 * copied, and every other request waited. Here the same Bind message is written as it is
 * encoded: its header, then each text a piece of PIECE_CHARS characters at a time, each piece
 * after a pause (and after the socket drained), so no turn encodes more than a piece. Measured
 * on the chat calls of bench:adversarial, three runs each in alternation: with four such calls
 * at once `/healthz` waited 36-73 ms against 51-137 and the server's loop delay was 38-68 ms
 * against 59-88; one call at a time took about as long (steady state 214-307 ms against
 * 231-322).
 *
 * The protocol is the extended query protocol node-postgres speaks, through the hook it offers
 * for this (a Submittable, as pgCopy.ts uses): Parse (an unnamed statement), Bind, Describe,
 * Execute, Sync. PostgreSQL reads nothing of the statement until Sync, and node-postgres sends
 * nothing else on the connection until this statement's ReadyForQuery, which follows the Sync,
 * so the pieces cannot interleave with another query. Parameters travel as text, as
 * node-postgres sends strings; rows come back as objects of strings (text format), as the
 * ingest batch reads them.
 */
import type { Duplex } from 'node:stream';
import type pg from 'pg';
import { drained } from '../utils/streams.js';

/** What this query uses of node-postgres' (untyped) Connection. */
interface ExtendedConnection {
  stream: Duplex;
  parse(msg: { text: string; name?: string; types?: unknown[] }): void;
  describe(msg: { type: 'P' | 'S'; name?: string }): void;
  execute(msg: { portal?: string; rows?: number }): void;
  sync(): void;
}

export interface PiecewiseResult {
  rows: Record<string, string | null>[];
}

/** Characters of a text parameter encoded and written in one turn. */
export const PIECE_CHARS = 128 * 1024;

/** `Bind`'s message type byte. */
const BIND = 0x42;

const nextTurn = () => new Promise<void>((resolve) => setImmediate(resolve));

/** The connection was closed or is closing (node-postgres then fails the query): nothing more to write. */
const gone = (stream: Duplex) => stream.destroyed || stream.writableEnded;

/** The end of the piece of `text` starting at `from`: never between the halves of a surrogate pair. */
export function pieceEnd(text: string, from: number, pieceChars: number): number {
  const end = Math.min(text.length, from + pieceChars);
  if (end === text.length) return end;
  const last = text.charCodeAt(end - 1);
  if (last < 0xd800 || last > 0xdbff) return end;
  // a high surrogate last: the pair goes to the next piece, or whole into this one if it is all there is
  return end - 1 > from ? end - 1 : end + 1;
}

/**
 * `text` with `values` ($1, $2, ...: strings or null) as a node-postgres Submittable: give it to
 * `client.query()` or `pool.query()`, which resolve (or call back) with `{ rows }`.
 */
export class PiecewiseQuery implements pg.Submittable {
  /** set by node-postgres (client.query's callback, or the pool's) */
  callback?: (err: Error | null, result?: PiecewiseResult) => void;
  private fields: string[] = [];
  private readonly rows: Record<string, string | null>[] = [];
  private settled = false;

  constructor(
    readonly text: string,
    readonly values: readonly (string | null)[],
    /** pause: awaited after each piece (default: the next turn of the event loop) */
    private readonly options: { pieceChars?: number; pause?: () => Promise<void> } = {},
  ) {}

  submit(connection: unknown): void {
    const conn = connection as ExtendedConnection;
    conn.parse({ text: this.text, types: [] });
    this.send(conn).catch((err: unknown) => {
      // A half-written message leaves the connection unusable: drop it (node-postgres then fails this query).
      conn.stream.destroy(err instanceof Error ? err : new Error(String(err)));
    });
  }

  private async send(conn: ExtendedConnection): Promise<void> {
    const { stream } = conn;
    const pieceChars = this.options.pieceChars ?? PIECE_CHARS;
    const pause = this.options.pause ?? nextTurn;
    const lengths = this.values.map((v) => (v === null ? -1 : Buffer.byteLength(v)));
    // Length (itself), portal and statement names (empty), no format codes (all text), the
    // parameter count, each parameter's length and bytes, no result format codes (all text).
    let length = 4 + 1 + 1 + 2 + 2 + 2;
    for (const n of lengths) length += 4 + Math.max(n, 0);
    const head = Buffer.alloc(11);
    head[0] = BIND;
    head.writeInt32BE(length, 1);
    head.writeInt16BE(this.values.length, 9);
    let pending: Buffer[] = [head];
    let pendingChars = 0;
    let written = 0;
    const flush = async () => {
      stream.cork();
      let room = true;
      for (const buffer of pending) {
        room = stream.write(buffer);
        written += buffer.length;
      }
      stream.uncork();
      pending = [];
      pendingChars = 0;
      if (!room) await drained(stream);
    };
    for (const [i, value] of this.values.entries()) {
      const prefix = Buffer.allocUnsafe(4);
      prefix.writeInt32BE(lengths[i]!);
      pending.push(prefix);
      if (value === null) continue;
      if (value.length <= pieceChars) {
        pending.push(Buffer.from(value));
        pendingChars += value.length;
        // shorter texts together: no more than a piece's worth encoded in a turn either
        if (pendingChars >= pieceChars) {
          await flush();
          await pause();
          if (gone(stream)) return;
        }
        continue;
      }
      for (let from = 0; from < value.length;) {
        const end = pieceEnd(value, from, pieceChars);
        pending.push(Buffer.from(value.slice(from, end)));
        from = end;
        await flush();
        await pause();
        if (gone(stream)) return;
      }
    }
    pending.push(Buffer.alloc(2));
    await flush();
    if (written !== length + 1) throw new Error(`Bind message of ${written} bytes, ${length + 1} announced`);
    if (gone(stream)) return;
    // Sent even when an error came first (the server skips to the Sync and answers ReadyForQuery).
    conn.describe({ type: 'P', name: '' });
    conn.execute({ portal: '', rows: 0 });
    conn.sync();
  }

  handleRowDescription(msg: { fields: { name: string }[] }): void {
    this.fields = msg.fields.map((f) => f.name);
  }

  handleDataRow(msg: { fields: (string | null)[] }): void {
    const row: Record<string, string | null> = {};
    for (const [i, name] of this.fields.entries()) row[name] = msg.fields[i] ?? null;
    this.rows.push(row);
  }

  handleError(err: Error): void {
    if (this.settled) return;
    this.settled = true;
    this.callback?.(err);
  }

  handleReadyForQuery(): void {
    if (this.settled) return;
    this.settled = true;
    this.callback?.(null, { rows: this.rows });
  }

  handleCommandComplete(): void {}
  handleEmptyQuery(): void {}
  handlePortalSuspended(): void {}
  handleCopyData(): void {}
  handleCopyInResponse(connection: unknown): void {
    // not a COPY statement's place: refuse, and the server answers with an error
    (connection as { sendCopyFail(message: string): void }).sendCopyFail('not a COPY statement');
  }
}
