/**
 * Cross-replica cache invalidation over PostgreSQL LISTEN/NOTIFY: every replica shares the
 * database, so no extra infrastructure is needed. A dedicated connection listens; publishing is
 * one `pg_notify`. If the listener connection drops, it reconnects and tells subscribers to
 * drop everything (a notification may have been missed meanwhile).
 */
import pg from 'pg';
import type { Logger } from 'pino';
import type { PrismaClient } from './prisma.js';

export const CHANNEL = 'llmguard_invalidate';

export interface InvalidationMessage {
  kind: 'apiKey' | 'project' | 'all';
  /** key digest for apiKey, project id for project */
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

export async function postgresBus(prisma: PrismaClient, connectionString: string, logger: Logger): Promise<NotifyBus> {
  const handlers: ((m: InvalidationMessage) => void)[] = [];
  let client: pg.Client | undefined;
  let closed = false;
  const deliver = (m: InvalidationMessage) => handlers.forEach((h) => h(m));

  const connect = async (): Promise<void> => {
    const c = new pg.Client({ connectionString });
    c.on('notification', (msg) => {
      if (msg.channel !== CHANNEL || !msg.payload) return;
      try {
        deliver(JSON.parse(msg.payload) as InvalidationMessage);
      } catch {
        logger.warn('ignoring malformed invalidation message');
      }
    });
    c.on('error', (err) => logger.warn({ err: err.message }, 'invalidation listener error'));
    c.on('end', () => {
      if (closed) return;
      deliver({ kind: 'all' });
      reconnectSoon();
    });
    await c.connect();
    await c.query(`LISTEN ${CHANNEL}`);
    client = c;
  };
  const reconnectSoon = () => {
    setTimeout(() => {
      if (closed) return;
      connect().then(
        () => deliver({ kind: 'all' }),
        (err: Error) => {
          logger.warn({ err: err.message }, 'invalidation listener reconnect failed; retrying');
          reconnectSoon();
        },
      );
    }, 1000).unref();
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
    async close() {
      closed = true;
      await client?.end().catch(() => undefined);
    },
  };
}
