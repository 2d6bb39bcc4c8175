/**
 * The direct paths' long answers: their JSON made and counted in slices (answerParts,
 * answerBytes), and written in pieces, a turn of the event loop each (endInPieces).
 */
import type { ServerResponse } from 'node:http';
import { pause, runSliced } from '../domain/slices.js';
import { jsonPartsSteps, partsBytesSteps } from '../utils/jsonParts.js';

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

/** An answer's JSON in parts (jsonParts), made in slices: a chat call's took 10-20 ms in one go. */
export async function answerParts(answer: object): Promise<string[]> {
  return (await runSliced(jsonPartsSteps(answer, ANSWER_PIECE_CHARS)))!;
}

/** The UTF-8 bytes of an answer's parts, counted in slices when there are several (5-6 ms for a chat call's). */
export async function answerBytes(parts: readonly string[]): Promise<number> {
  return parts.length === 1 ? Buffer.byteLength(parts[0]!) : runSliced(partsBytesSteps(parts));
}
