/**
 * A budget of body bytes read per turn of the event loop, shared by the large bodies being read
 * at the same time (utils/bodyReader.ts readBody).
 *
 * libuv reads a readable socket up to 32 times in one go, 64 KiB a time, and node hands each
 * chunk to the body's `data` handler at once. When several bodies of megabytes arrive together,
 * one poll phase of the loop can copy megabytes for all of them, and a short request that arrived
 * meanwhile waits for the whole of it: four 9 MB bodies sent with a valid key held the loop for
 * 40-59 ms (`bench:adversarial`, the server's loop delay), most of it outside any one JavaScript
 * callback. With the budget spent, each body's stream is paused where it is (its bytes wait in
 * the socket, and TCP slows the sender) and resumed in the next turn's check phase, after the
 * poll phase has read what else arrived.
 */
import type { Readable } from 'node:stream';

/** Bytes of large bodies read in one turn of the event loop before their streams are paused. */
export const BODY_BYTES_PER_TURN = 1024 * 1024;

export class TurnBudget {
  #used = 0;
  #resetScheduled = false;
  #paused: Readable[] = [];

  constructor(readonly bytesPerTurn: number) {}

  /** Bytes counted in this turn so far (for tests). */
  get used(): number {
    return this.#used;
  }

  /**
   * Counts `bytes` just read from `stream`; once this turn's budget is spent, pauses the stream
   * until the next turn. Returns whether it paused it.
   */
  take(stream: Readable, bytes: number): boolean {
    this.#used += bytes;
    if (!this.#resetScheduled) {
      this.#resetScheduled = true;
      setImmediate(this.#nextTurn);
    }
    if (this.#used < this.bytesPerTurn) return false;
    stream.pause();
    this.#paused.push(stream);
    return true;
  }

  readonly #nextTurn = (): void => {
    this.#resetScheduled = false;
    this.#used = 0;
    // a stream destroyed meanwhile ignores resume(); one resumed here reads in the next poll phase
    for (const stream of this.#paused.splice(0)) stream.resume();
  };
}

/** The budget every direct path's large bodies share. */
export const bodyReadBudget = new TurnBudget(BODY_BYTES_PER_TURN);
