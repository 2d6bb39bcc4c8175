/** Long answers written in pieces, a turn of the event loop each (the direct paths' answers). */
import type { ServerResponse } from 'node:http';
import { pause } from '../domain/slices.js';

/**
 * Answers longer than this (characters) are sent in pieces of this size, each encoded and
 * written in a turn of the event loop of its own (endInPieces).
 */
export const ANSWER_PIECE_CHARS = 256 * 1024;

/**
 * Ends `res` with `payload`, a string or parts of one (jsonParts: their concatenation is the
 * answer), its headers written, Content-Length included. A long answer (a chat call's redacted
 * messages and transcript: 4-5 MB of JSON) goes in pieces with a pause between them: `res.end()`
 * of such a string held the event loop 15-35 ms (node encodes a string that long to UTF-8 in one
 * go, slowly), and the pieces 0.1 ms each, 7-9 ms in all (a 4.8 MB answer over loopback). A piece
 * never ends between the two halves of a surrogate pair, which would each be encoded alone as
 * U+FFFD (no pair spans two parts). Stops early, leaving the socket to its owner, when the client
 * is gone.
 */
export async function endInPieces(res: ServerResponse, payload: string | readonly string[]): Promise<void> {
  const parts = typeof payload === 'string' ? [payload] : payload;
  if (parts.length === 1 && parts[0]!.length <= ANSWER_PIECE_CHARS) {
    res.end(parts[0]);
    return;
  }
  let first = true;
  for (const part of parts) {
    for (let at = 0; at < part.length;) {
      let end = Math.min(at + ANSWER_PIECE_CHARS, part.length);
      const last = part.charCodeAt(end - 1);
      if (end < part.length && last >= 0xd800 && last <= 0xdbff) end--;
      if (!first) await pause();
      first = false;
      if (res.destroyed) return;
      res.write(Buffer.from(at === 0 && end === part.length ? part : part.slice(at, end), 'utf8'));
      at = end;
    }
  }
  if (!res.destroyed) res.end();
}
