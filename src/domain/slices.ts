/**
 * Cooperative slicing of long synchronous work. A computation written as a generator `yield`s
 * at points where it may pause (between rules, between classifier windows, every few PII
 * candidates); it then runs either straight through (`runSync`: small texts, no pause) or in
 * slices of about SLICE_MS with the event loop let through between them (`runSliced`: large
 * texts, so one crafted megabyte does not stall every other request). Both runners execute the
 * same code in the same order, so the result is the same by construction; only the timing of
 * the pauses differs.
 *
 * A step must not hold shared mutable state (a global regex's lastIndex, a scratch buffer)
 * across a `yield`: another sliced computation may run during the pause.
 */

/** A computation that may pause at each `yield` and returns T. */
export type Steps<T> = Generator<void, T, void>;

/** Longest stretch of a sliced computation between two pauses, in ms (a little over it at times). */
export const SLICE_MS = 8;

/** Runs the steps without pausing. */
export function runSync<T>(steps: Steps<T>): T {
  for (;;) {
    const next = steps.next();
    if (next.done) return next.value;
  }
}

const pause = () => new Promise<void>((resolve) => setImmediate(resolve));

/** Runs the steps, letting the event loop through (I/O included) once a slice has taken `sliceMs`. */
export async function runSliced<T>(steps: Steps<T>, sliceMs = SLICE_MS): Promise<T> {
  let started = performance.now();
  for (;;) {
    const next = steps.next();
    if (next.done) return next.value;
    if (performance.now() - started >= sliceMs) {
      await pause();
      started = performance.now();
    }
  }
}

/** True on every `every`-th `tick()`: where a hot loop yields (a pause point per iteration costs too much). */
export class Every {
  private count = 0;
  constructor(private readonly every: number) {}
  tick(): boolean {
    if (++this.count < this.every) return false;
    this.count = 0;
    return true;
  }
}
