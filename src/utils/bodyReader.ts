/**
 * Reads a request's body (not compressed) as bytes, for the direct paths (routes/directPath.ts)
 * and the Express parser of large bodies (middleware/largeJsonBody.ts).
 *
 * The chunks stay buffers outside the JavaScript heap until the body is complete: decoded one by
 * one, a 2 MB body was 32 strings of 64 KB each living on the young heap until the last chunk
 * came, and every scavenge meanwhile copied them (four such bodies at once: scavenges of 10-28 ms).
 *
 * A large body is copied into one buffer as it arrives, never joined at its end: joining 9 MB took
 * 25 ms in one go (its fresh pages faulted in, about 2,200 of them at 10-12 µs each), and bodies
 * ending together did it back to back (four 9 MB bodies held the event loop 156 ms). A buffer's
 * pages are mapped when first written, so copying a chunk maps only its own pages, in the turn
 * that reads it; and a large body takes its share of `budget` (utils/readBudget.ts) as it
 * arrives, so those turns stay short.
 */
import type { IncomingMessage } from 'node:http';
import { AppError } from './AppError.js';
import { bodyReadBudget, type TurnBudget } from './readBudget.js';

/** Bodies longer than this (bytes) are large: copied into one buffer as they arrive, read in turns. */
export const LARGE_BODY_BYTES = 64 * 1024;

/**
 * The client went away (or its stream failed) before its body arrived whole. Its status and type
 * are raw-body's for the same case, so Express's error handler answers it alike (400).
 */
export class BodyAborted extends Error {
  readonly status = 400;
  readonly type = 'request.aborted';
  constructor(cause?: unknown) {
    super('request aborted', { cause });
    this.name = 'BodyAborted';
  }
}

export interface ReadBodyOptions {
  /**
   * The most bytes a body of unknown length (chunked) may have; past it the read stops with 413
   * PAYLOAD_TOO_LARGE. A body of known length is checked against it before a byte is read.
   */
  limit?: number;
  /** The per-turn budget large bodies share (default: the one every reader shares). */
  budget?: TurnBudget;
}

/**
 * The whole body. `length` is its Content-Length, or undefined when it is sent chunked. Rejects
 * with an AppError for a body over the limit (413) or of another length than declared (400), and
 * with BodyAborted when the client goes away first.
 */
export function readBody(
  req: IncomingMessage,
  length: number | undefined,
  { limit = Infinity, budget = bodyReadBudget }: ReadBodyOptions = {},
): Promise<Buffer> {
  if (length !== undefined && length > limit) return Promise.reject(tooLarge());
  return new Promise((resolve, reject) => {
    let chunks: Buffer[] = [];
    // Known length: a buffer of that length. Chunked: once past LARGE_BODY_BYTES, a buffer of the
    // limit (of which only the pages written are ever mapped), or growing by doubling without one.
    let whole = length !== undefined && length > LARGE_BODY_BYTES ? Buffer.allocUnsafe(length) : undefined;
    let received = 0;
    let settled = false;
    const fail = (err: Error) => {
      if (settled) return;
      settled = true;
      req.removeListener('data', onData);
      // unread bytes stay in the socket, as raw-body leaves them: node discards them or closes it
      req.pause();
      reject(err);
    };
    const onData = (chunk: Buffer) => {
      const total = received + chunk.length;
      if (length === undefined) {
        if (total > limit) return fail(tooLarge());
        if (whole === undefined && total > LARGE_BODY_BYTES) {
          whole = Buffer.allocUnsafe(limit === Infinity ? 2 * total : limit);
          for (const [at, part] of offsets(chunks)) part.copy(whole, at);
          chunks = [];
        } else if (whole !== undefined && total > whole.length) {
          const next = Buffer.allocUnsafe(2 * total);
          whole.copy(next, 0, 0, received);
          whole = next;
        }
      }
      if (whole === undefined) chunks.push(chunk);
      // (node's parser never passes on more than the Content-Length; if it did, 'end' refuses it)
      else if (total <= whole.length) chunk.copy(whole, received);
      received = total;
      // large bodies arriving together take turns of the event loop (utils/readBudget.ts)
      if (whole !== undefined) budget.take(req, chunk.length);
    };
    req.on('data', onData);
    req.once('end', () => {
      if (settled) return;
      settled = true;
      if (length !== undefined && received !== length) {
        reject(new AppError('VALIDATION_ERROR', 'Request size did not match Content-Length'));
      } else if (whole !== undefined) resolve(whole.length === received ? whole : whole.subarray(0, received));
      else resolve(chunks.length === 1 ? chunks[0]! : Buffer.concat(chunks, received));
    });
    req.once('error', (err) => fail(new BodyAborted(err)));
    req.once('close', () => fail(new BodyAborted()));
  });
}

function tooLarge(): AppError {
  return new AppError('PAYLOAD_TOO_LARGE', 'Request body is too large');
}

/** Each chunk with the offset it starts at. */
function* offsets(chunks: readonly Buffer[]): Generator<[number, Buffer]> {
  let at = 0;
  for (const chunk of chunks) {
    yield [at, chunk];
    at += chunk.length;
  }
}
