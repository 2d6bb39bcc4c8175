/**
 * node-cron jobs, each run under a PostgreSQL advisory lock so that with N replicas every
 * scheduled run happens once. A run that finds the lock taken is skipped, not queued.
 */
import cron, { type ScheduledTask } from 'node-cron';
import type { Logger } from 'pino';
import type { PrismaClient } from '../db/prisma.js';

export type TxClient = Parameters<Parameters<PrismaClient['$transaction']>[0]>[0];

export interface CronJob {
  name: string;
  /** cron expression, evaluated in UTC */
  schedule: string;
  run(db: TxClient): Promise<Record<string, unknown> | void>;
}

/**
 * Runs `fn` if this process wins the advisory lock for `name` (held for the transaction).
 * Returns false when another process holds it.
 */
export async function runExclusive<T>(
  prisma: PrismaClient,
  name: string,
  fn: (db: TxClient) => Promise<T>,
  timeoutMs = 15 * 60_000,
): Promise<{ ran: true; result: T } | { ran: false }> {
  return prisma.$transaction(
    async (tx) => {
      const [row] = await tx.$queryRaw<
        { locked: boolean }[]
      >`SELECT pg_try_advisory_xact_lock(hashtext(${`llmguard:${name}`})) AS locked`;
      if (!row?.locked) return { ran: false as const };
      return { ran: true as const, result: await fn(tx) };
    },
    { timeout: timeoutMs, maxWait: 10_000 },
  );
}

/** Runs one job now (logging duration and findings); used by the schedule and by tests. */
export async function runJob(prisma: PrismaClient, job: CronJob, logger: Logger): Promise<boolean> {
  const started = Date.now();
  try {
    const outcome = await runExclusive(prisma, job.name, (db) => job.run(db));
    if (!outcome.ran) {
      logger.debug({ job: job.name }, 'cron job skipped: another replica holds the lock');
      return false;
    }
    logger.info({ job: job.name, durationMs: Date.now() - started, ...(outcome.result ?? {}) }, 'cron job finished');
    return true;
  } catch (err) {
    logger.error({ err, job: job.name, durationMs: Date.now() - started }, 'cron job failed');
    return false;
  }
}

export function startScheduler(prisma: PrismaClient, jobs: CronJob[], logger: Logger): { stop(): Promise<void> } {
  const tasks: ScheduledTask[] = jobs.map((job) =>
    cron.schedule(job.schedule, () => runJob(prisma, job, logger), {
      name: job.name,
      timezone: 'UTC',
      noOverlap: true,
    }),
  );
  logger.info({ jobs: jobs.map((j) => `${j.name} (${j.schedule})`) }, 'cron scheduler started');
  return {
    async stop() {
      await Promise.all(tasks.map((t) => t.stop()));
    },
  };
}
