/**
 * Cross-replica cache invalidation over PostgreSQL LISTEN/NOTIFY: every replica shares the
 * database, so no extra infrastructure is needed. A dedicated connection listens; publishing is
 * one `pg_notify`. If the listener connection drops, it reconnects and tells subscribers to
 * drop everything (a notification may have been missed meanwhile).
 */
import pg from 'pg';
import type { Logger } from 'pino';
import type { PrismaClient } from './prisma.js';
import { Backoff, ThrottledLog, errorText } from './backoff.js';

export const CHANNEL = 'llmguard_invalidate';

export interface InvalidationMessage {
  kind: 'apiKey' | 'project' | 'flag' | 'all';
  /** key digest for apiKey, project id for project, flag key for flag */
  id?: string;
  /** sender, so a replica can ignore its own echo */
  origin?: string;
}

export interface NotifyBus {
  publish(message: InvalidationMessage): Promise<void>;
  subscribe(handler: (message: InvalidationMessage) => void): void;
  close(): Promise<void>;
}

/** A bus that only delivers within this process (tests, or when listening is disabled). */
export function localBus(): NotifyBus {
  const handlers: ((m: InvalidationMessage) => void)[] = [];
  return {
    async publish(message) {
      for (const h of handlers) h(message);
    },
    subscribe(handler) {
      handlers.push(handler);
    },
    async close() {},
  };
}

export interface PostgresBusOptions {
  /** Backoff between reconnect attempts (default 250 ms doubling to 10 s, with jitter). */
  backoff?: Backoff;
  /** At most one "still failing" line per this interval (default 30 s). */
  logIntervalMs?: number;
}

/**
 * The listener has one owner of its reconnection: a lost connection (its `error` and `end`
 * both fire, and a failed connect rejects as well) schedules at most one attempt; attempts
 * back off exponentially with jitter up to a cap; the outage is logged once, then once per
 * interval, and once when the listener is back. `reconnectNow()` (called when the database
 * health probe sees the database again) skips the wait.
 */
export async function postgresBus(
  prisma: PrismaClient,
  connectionString: string,
  logger: Logger,
  options: PostgresBusOptions = {},
): Promise<NotifyBus & { reconnectNow(): void }> {
  const handlers: ((m: InvalidationMessage) => void)[] = [];
  let client: pg.Client | undefined;
  let closed = false;
  let timer: NodeJS.Timeout | undefined;
  let connecting = false;
  const backoff = options.backoff ?? new Backoff({ initialMs: 250, maxMs: 10_000 });
  const log = new ThrottledLog(logger, 'invalidation listener disconnected; reconnecting with backoff', {
    intervalMs: options.logIntervalMs ?? 30_000,
  });
  const deliver = (m: InvalidationMessage) => handlers.forEach((h) => h(m));

  /** Opens a listening connection; on failure the half-open client is discarded. */
  const connect = async (): Promise<void> => {
    const c = new pg.Client({ connectionString, connectionTimeoutMillis: 5_000, keepAlive: true });
    let lost = false;
    const onLost = (err?: Error) => {
      if (lost) return;
      lost = true;
      if (client === c) client = undefined;
      void c.end().catch(() => undefined);
      if (closed) return;
      log.failure({ err: err ? errorText(err) : 'connection ended' });
      // A notification may have been missed while the connection was down.
      deliver({ kind: 'all' });
      schedule();
    };
    c.on('notification', (msg) => {
      if (msg.channel !== CHANNEL || !msg.payload) return;
      try {
        deliver(JSON.parse(msg.payload) as InvalidationMessage);
      } catch {
        logger.warn('ignoring malformed invalidation message');
      }
    });
    try {
      await c.connect();
      await c.query(`LISTEN ${CHANNEL}`);
    } catch (err) {
      lost = true; // the caller owns the retry; this client's late events must not start another
      c.on('error', () => undefined);
      void c.end().catch(() => undefined);
      throw err;
    }
    c.on('error', (err) => onLost(err));
    c.on('end', () => onLost());
    if (closed) {
      void c.end().catch(() => undefined);
      return;
    }
    client = c;
  };

  /** The one reconnect loop: at most one timer or attempt at a time. */
  const schedule = (delayMs = backoff.next()) => {
    if (closed || timer || connecting || client) return;
    timer = setTimeout(() => {
      timer = undefined;
      connecting = true;
      connect().then(
        () => {
          connecting = false;
          backoff.reset();
          log.recovered('invalidation listener reconnected');
          deliver({ kind: 'all' });
        },
        (err: Error) => {
          connecting = false;
          log.failure({ err: errorText(err) });
          schedule();
        },
      );
    }, delayMs);
    timer.unref();
  };
  await connect();

  return {
    async publish(message) {
      // Deliver locally at once (the caller's own replica must not wait for the round trip).
      deliver(message);
      await prisma.$executeRaw`SELECT pg_notify(${CHANNEL}, ${JSON.stringify(message)})`;
    },
    subscribe(handler) {
      handlers.push(handler);
    },
    reconnectNow() {
      if (closed || client || connecting) return;
      if (timer) clearTimeout(timer);
      timer = undefined;
      backoff.reset();
      schedule(0);
    },
    async close() {
      closed = true;
      if (timer) clearTimeout(timer);
      await client?.end().catch(() => undefined);
    },
  };
}
