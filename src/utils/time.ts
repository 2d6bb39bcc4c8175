/** Durations in milliseconds, and the Retry-After header value for a wait. */
export const SECOND_MS = 1_000;
export const HOUR_MS = 3_600_000;
export const DAY_MS = 86_400_000;

/** Retry-After in whole seconds for a wait of `ms` (rounded up, at least 1: "0" would invite a retry storm). */
export function retryAfterSeconds(ms: number): string {
  return String(Math.max(1, Math.ceil(ms / SECOND_MS)));
}
