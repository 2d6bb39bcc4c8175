/**
 * The two pieces every reconnect loop uses (database health probe, LISTEN/NOTIFY listener,
 * Redis): a capped exponential backoff with full jitter, so N replicas (or N loops) that lost
 * the same server do not retry in lock-step, and a log throttle, so an outage of any length
 * writes a bounded number of lines (the first failure at once, then one summary per interval
 * with the count of what was suppressed, and one line when it recovers).
 */
import type { Logger } from 'pino';

export interface BackoffOptions {
  /** First delay (before jitter). */
  initialMs?: number;
  /** Ceiling of the delay (before jitter). */
  maxMs?: number;
  /** Random source in [0, 1) (tests pin it). */
  random?: () => number;
}

/** Capped exponential backoff with "full jitter": attempt n waits uniform(0.5, 1) x min(max, initial x 2^n). */
export class Backoff {
  private attempt = 0;
  readonly initialMs: number;
  readonly maxMs: number;
  private random: () => number;

  constructor(options: BackoffOptions = {}) {
    this.initialMs = options.initialMs ?? 250;
    this.maxMs = options.maxMs ?? 5_000;
    this.random = options.random ?? Math.random;
  }

  /** The delay before the next attempt (and counts the attempt). */
  next(): number {
    const ceiling = Math.min(this.maxMs, this.initialMs * 2 ** Math.min(this.attempt, 30));
    this.attempt++;
    // Half fixed, half random: never a burst of immediate retries, never in lock-step.
    return Math.round(ceiling / 2 + (ceiling / 2) * this.random());
  }

  reset(): void {
    this.attempt = 0;
  }

  get attempts(): number {
    return this.attempt;
  }
}

export interface ThrottledLogOptions {
  /** At most one line per this interval while failures continue. */
  intervalMs?: number;
  level?: 'warn' | 'error';
  now?: () => number;
}

/**
 * One failure condition's log: `failure()` writes the first occurrence at once, later ones at
 * most once per interval with the number suppressed in between; `recovered()` writes one line
 * (with the total count and duration) only if a failure was logged.
 */
export class ThrottledLog {
  private failing = false;
  private since = 0;
  private lastLogged = 0;
  private suppressed = 0;
  private total = 0;
  private intervalMs: number;
  private level: 'warn' | 'error';
  private now: () => number;

  constructor(
    private logger: Logger | undefined,
    private message: string,
    options: ThrottledLogOptions = {},
  ) {
    this.intervalMs = options.intervalMs ?? 30_000;
    this.level = options.level ?? 'warn';
    this.now = options.now ?? Date.now;
  }

  failure(fields: Record<string, unknown> = {}): void {
    const now = this.now();
    this.total++;
    if (!this.failing) {
      this.failing = true;
      this.since = now;
      this.lastLogged = now;
      this.suppressed = 0;
      this.logger?.[this.level](fields, this.message);
      return;
    }
    if (now - this.lastLogged >= this.intervalMs) {
      this.logger?.[this.level](
        { ...fields, repeated: this.suppressed + 1, failingForMs: now - this.since },
        `${this.message} (still failing)`,
      );
      this.lastLogged = now;
      this.suppressed = 0;
      return;
    }
    this.suppressed++;
  }

  recovered(message: string, fields: Record<string, unknown> = {}): void {
    if (!this.failing) return;
    this.logger?.info({ ...fields, failures: this.total, downForMs: this.now() - this.since }, message);
    this.failing = false;
    this.total = 0;
    this.suppressed = 0;
  }

  get isFailing(): boolean {
    return this.failing;
  }
}

/** An error's message for a log line (no stack: an expected outage is not a bug). */
export function errorText(err: unknown): string {
  if (err instanceof AggregateError && err.errors.length > 0) return errorText(err.errors[0]);
  if (err instanceof Error) {
    const code = (err as { code?: unknown }).code;
    return typeof code === 'string' && code && !err.message.includes(code) ? `${code}: ${err.message}` : err.message;
  }
  return String(err);
}
