/**
 * Large assessments under way in this process, and when the last one ended: background work
 * that competes for the same cores (the deferred search fill, deferredSearch.ts) waits for a
 * quiet moment instead of slowing the next large call down.
 */
let inFlight = 0;
let lastEnded = Number.NEGATIVE_INFINITY;

/** Counts `work` as a large assessment until it settles. */
export function trackHeavyWork<T>(work: Promise<T>): Promise<T> {
  inFlight++;
  return work.finally(() => {
    inFlight--;
    lastEnded = performance.now();
  });
}

/** True when no large assessment is under way and none ended in the last `ms`. */
export function quietFor(ms: number): boolean {
  return inFlight === 0 && performance.now() - lastEnded >= ms;
}
