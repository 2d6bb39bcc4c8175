/**
 * What happens to incidents, for whoever reacts to it (RCA generation, alert channels).
 * Handlers run after the emitting work, never delaying it; their failures are logged.
 */
import type { Logger } from 'pino';
import type { IncidentEvent, IncidentEventHandler } from '../../types/incidents.js';

export type { IncidentEvent, IncidentEventHandler, IncidentEventKind } from '../../types/incidents.js';

export class IncidentEvents {
  private handlers: IncidentEventHandler[] = [];
  private pending = new Set<Promise<void>>();

  constructor(private logger?: Logger) {}

  on(handler: IncidentEventHandler): void {
    this.handlers.push(handler);
  }

  emit(event: IncidentEvent): void {
    for (const handler of this.handlers) {
      const run: Promise<void> = new Promise<void>((resolve) => setImmediate(resolve))
        .then(() => handler(event))
        .catch((err: unknown) => this.logger?.error({ err, ...event }, 'incident event handler failed'))
        .finally(() => this.pending.delete(run));
      this.pending.add(run);
    }
  }

  /** Resolves when every handler started so far has finished (tests, shutdown). */
  async idle(): Promise<void> {
    while (this.pending.size > 0) await Promise.all(this.pending);
  }
}
