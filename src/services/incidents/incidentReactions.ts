/**
 * What the process does when an incident opens, escalates or resolves: write the RCA (on open)
 * and alert the project's channels. Runs off the emitting path (IncidentEvents defers handlers),
 * so ingestion and detection never wait for OpenAI or a slow receiver.
 */
import type { OpenAI } from 'openai';
import type { Logger } from 'pino';
import type { PrismaClient } from '../../db/prisma.js';
import { notifyIncident, type AlertOptions } from './alertService.js';
import type { IncidentEvents } from './incidentEvents.js';
import { generateRca, type RcaDeps } from './rcaService.js';

export interface IncidentReactionDeps {
  prisma: PrismaClient;
  logger: Logger;
  /** undefined: the client from the environment; null: fallback RCAs only. */
  openai?: OpenAI | null;
  /** Retry policy of alert deliveries (defaults: 4 attempts, 500 ms base delay, 5 s per attempt). */
  alert?: Partial<AlertOptions>;
  /** Model, timeout and retry overrides of the RCA call. */
  rca?: Omit<RcaDeps, 'openai' | 'logger'>;
}

/** Subscribes the RCA and the alerts to `events` (the wiring does it once per emitter). */
export function registerIncidentReactions(events: IncidentEvents, deps: IncidentReactionDeps): void {
  const { prisma, logger } = deps;
  events.on(async (event) => {
    if (event.kind === 'opened') {
      // The alert carries the RCA when there is one; a failed RCA must not cost the alert.
      try {
        await generateRca(
          prisma,
          { id: event.incidentId, projectId: event.projectId },
          { ...deps.rca, openai: deps.openai, logger },
        );
      } catch (err) {
        logger.error({ err, incidentId: event.incidentId }, 'incident rca failed; alerting without it');
      }
    }
    await notifyIncident(prisma, event, { logger, options: deps.alert });
  });
}
