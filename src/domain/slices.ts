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

/**
 * Sliced computations waiting for their next slice. One pump runs per turn of the event loop
 * and lets one of them go: with a pause per computation, N computations running side by side
 * would each take a slice in the same turn (N x SLICE_MS before a timer or a socket is served);
 * in turn, every turn holds one.
 */
const waiting: (() => void)[] = [];
let pumping = false;

function pump(): void {
  waiting.shift()?.();
  if (waiting.length > 0) setImmediate(pump);
  else pumping = false;
}

/** Resolves in a later turn of the event loop, in the order asked, one per turn. */
export function pause(): Promise<void> {
  return new Promise<void>((resolve) => {
    waiting.push(resolve);
    if (!pumping) {
      pumping = true;
      setImmediate(pump);
    }
  });
}

/**
 * Runs the steps, letting the event loop through (I/O included) once a slice has taken
 * `sliceMs`; computations running side by side take their slices in turn (pause()).
 */
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
