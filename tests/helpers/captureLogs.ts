import { Writable } from 'node:stream';
import type { Logger } from 'pino';
import { createLogger } from '../../src/utils/logger.js';

/** A real pino logger (same redaction as production) whose lines are kept in memory. */
export function capturingLogger(): { logger: Logger; lines: string[] } {
  const lines: string[] = [];
  const stream = new Writable({
    write(chunk: Buffer, _enc, cb) {
      lines.push(...chunk.toString().split('\n').filter(Boolean));
      cb();
    },
  });
  return { logger: createLogger(stream, 'trace'), lines };
}
