/**
 * The process's place in its life: serving, or draining after SIGTERM (still serving, but
 * /readyz answers 503 so that a load balancer stops sending new requests before the HTTP
 * server stops accepting). Shared by server.ts (sets it) and the health routes (read it).
 */
export class Lifecycle {
  #drainingSince: number | undefined;

  get draining(): boolean {
    return this.#drainingSince !== undefined;
  }

  /** Marks the process as draining; returns false when it already was. */
  startDraining(now = Date.now()): boolean {
    if (this.#drainingSince !== undefined) return false;
    this.#drainingSince = now;
    return true;
  }
}
