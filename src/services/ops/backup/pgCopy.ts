/**
 * COPY ... TO STDOUT / FROM STDIN on a plain `pg` client, as Node streams. node-postgres hands
 * any object with `submit()` the protocol messages of its query (the same hook pg-copy-streams
 * uses), so no extra package is needed. Backpressure pauses the socket, so memory stays flat.
 */
import { Readable, Writable, type Duplex } from 'node:stream';
import type pg from 'pg';

/** The parts of node-postgres' (untyped) Connection that COPY needs. */
interface CopyConnection {
  stream: Duplex;
  query(text: string): void;
  sendCopyFromChunk(chunk: Buffer): void;
  endCopyFrom(): void;
  sendCopyFail(message: string): void;
}

/** Rows reported by the server's CommandComplete tag ("COPY 123"). */
function copiedRows(tag: string | undefined): number {
  const match = /^COPY (\d+)/.exec(tag ?? '');
  return match ? Number(match[1]) : 0;
}

const CHUNK = 64 * 1024;

/**
 * `COPY ... TO STDOUT` as a Readable of raw COPY data, coalesced into ~64 KiB chunks (the
 * server sends one message per row). `rows` counts messages on the way (progress) and holds
 * the server's exact count once the stream has ended.
 */
export class CopyOutStream extends Readable implements pg.Submittable {
  rows = 0;
  private connection: CopyConnection | undefined;
  private pending = Buffer.allocUnsafe(CHUNK);
  private used = 0;

  constructor(private readonly text: string) {
    super();
  }

  submit(connection: unknown): void {
    this.connection = connection as CopyConnection;
    this.connection.query(this.text);
  }

  override _read(): void {
    this.connection?.stream.resume();
  }

  handleCopyData(msg: { chunk: Buffer }): void {
    if (this.destroyed) return; // draining what the server still sends after an abort
    this.rows++;
    // The message is a view of the driver's receive buffer, which is reused: copy it out.
    if (this.used + msg.chunk.length > CHUNK) this.flushPending();
    if (msg.chunk.length > CHUNK) {
      if (!this.push(Buffer.from(msg.chunk))) this.connection?.stream.pause();
      return;
    }
    msg.chunk.copy(this.pending, this.used);
    this.used += msg.chunk.length;
  }

  handleCommandComplete(msg: { text?: string }): void {
    this.rows = copiedRows(msg.text);
  }

  handleReadyForQuery(): void {
    this.flushPending();
    this.push(null);
  }

  handleError(err: Error): void {
    this.destroy(err);
  }

  override _destroy(err: Error | null, callback: (err?: Error | null) => void): void {
    // Let the rest of the COPY flow (and be dropped) so the client reaches ReadyForQuery.
    this.connection?.stream.resume();
    callback(err);
  }

  handleRowDescription(): void {}
  handleDataRow(): void {}
  handleEmptyQuery(): void {}
  handlePortalSuspended(): void {}
  handleCopyInResponse(connection: unknown): void {
    (connection as CopyConnection).sendCopyFail('this statement is COPY TO, not COPY FROM');
  }

  private flushPending(): void {
    if (this.used === 0) return;
    const out = Buffer.from(this.pending.subarray(0, this.used));
    this.used = 0;
    if (!this.push(out)) this.connection?.stream.pause();
  }
}

/**
 * `COPY ... FROM STDIN` as a Writable. `rows` is the server's count; `finish` fires only after
 * the server acknowledged the data (or the stream errors with the server's error).
 */
export class CopyInStream extends Writable implements pg.Submittable {
  rows = 0;
  private connection: CopyConnection | undefined;
  private ready: (() => void) | undefined;
  private readyPromise: Promise<void>;
  private settle: ((err?: Error) => void) | undefined;
  private failed: Error | undefined;

  constructor(private readonly text: string) {
    super();
    this.readyPromise = new Promise((resolve) => (this.ready = resolve));
  }

  submit(connection: unknown): void {
    this.connection = connection as CopyConnection;
    this.connection.query(this.text);
  }

  handleCopyInResponse(connection: unknown): void {
    if (this.destroyed) (connection as CopyConnection).sendCopyFail('aborted by the client');
    else this.ready?.();
  }

  handleCommandComplete(msg: { text?: string }): void {
    this.rows = copiedRows(msg.text);
  }

  handleReadyForQuery(): void {
    this.settle?.();
  }

  handleError(err: Error): void {
    this.failed = err;
    this.ready?.(); // unblock a write waiting for CopyInResponse
    if (this.settle) this.settle(err);
    else this.destroy(err);
  }

  handleRowDescription(): void {}
  handleDataRow(): void {}
  handleEmptyQuery(): void {}
  handlePortalSuspended(): void {}
  handleCopyData(): void {}

  override _write(chunk: Buffer, _enc: BufferEncoding, callback: (err?: Error | null) => void): void {
    this.readyPromise.then(() => {
      if (this.failed) return callback(this.failed);
      const connection = this.connection as CopyConnection;
      connection.sendCopyFromChunk(chunk);
      if (connection.stream.writableNeedDrain) connection.stream.once('drain', () => callback());
      else callback();
    }, callback);
  }

  override _final(callback: (err?: Error | null) => void): void {
    this.readyPromise.then(() => {
      if (this.failed) return callback(this.failed);
      this.settle = (err) => callback(err ?? null);
      (this.connection as CopyConnection).endCopyFrom();
    }, callback);
  }

  override _destroy(err: Error | null, callback: (err?: Error | null) => void): void {
    // Aborted mid-way by our side: tell the server, which then answers with an error.
    if (err && !this.failed && this.connection && !this.settle) this.connection.sendCopyFail(err.message);
    callback(err);
  }
}
