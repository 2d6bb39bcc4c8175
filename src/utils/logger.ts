import pino, { type DestinationStream, type Logger } from 'pino';
import { env } from '../config/env.js';

/** Credential fields, redacted at the top level of a log object and one level down. */
const SECRET_FIELDS = [
  'password',
  'currentPassword',
  'newPassword',
  'passwordHash',
  'token',
  'accessToken',
  'refreshToken',
  'apiKey',
  'key',
  'secret',
  'mfaCode',
];

/** Paths whose values never reach a log line. */
export const REDACT_PATHS = [
  'req.headers.authorization',
  'req.headers["x-api-key"]',
  'req.headers.cookie',
  'req.headers["stripe-signature"]',
  'req.headers["x-datadog-signature"]',
  'res.headers["set-cookie"]',
  ...SECRET_FIELDS,
  ...SECRET_FIELDS.map((field) => `*.${field}`),
];

/** Builds the process logger; tests pass a destination to capture lines. */
export function createLogger(destination?: DestinationStream, level: string = env.LOG_LEVEL): Logger {
  const pretty = env.LOG_PRETTY ?? env.NODE_ENV === 'development';
  const options: pino.LoggerOptions = {
    level,
    base: { service: 'llmguard-api' },
    redact: { paths: REDACT_PATHS, censor: '[REDACTED]' },
    timestamp: pino.stdTimeFunctions.isoTime,
  };
  if (destination) return pino(options, destination);
  if (pretty) {
    return pino({ ...options, transport: { target: 'pino-pretty', options: { colorize: true } } });
  }
  return pino(options);
}

export let logger: Logger = createLogger();

/** Swaps the process logger (tests capture every line to scan for secrets). */
export function setLogger(next: Logger): void {
  logger = next;
}
