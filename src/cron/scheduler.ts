/**
 * node-cron jobs, each run under a PostgreSQL advisory lock so that with N replicas every
 * scheduled run happens once. A run that finds the lock taken is skipped, not queued.
 */
import cron, { type ScheduledTask } from 'node-cron';
import type { Logger } from 'pino';
import type { PrismaClient, TxClient } from '../db/prisma.js';
import { cronDuration, cronRuns } from '../observability/metrics.js';


export interface CronJob {
  name: string;
  /** cron expression, evaluated in UTC */
  schedule: string;
  run(db: TxClient, tick?: string): Promise<Record<string, unknown> | void>;
}

/**
 * Runs `fn` if this process wins the advisory lock for `name` (held for the transaction) and,
 * when `tick` is given, if no replica has run this job for that tick yet (a marker row in
 * processed_webhook_events, provider "cron"): N replicas run each scheduled run once.
 */
export async function runExclusive<T>(
  prisma: PrismaClient,
  name: string,
  fn: (db: TxClient) => Promise<T>,
  options: { timeoutMs?: number; tick?: string } = {},
): Promise<{ ran: true; result: T } | { ran: false }> {
  return prisma.$transaction(
    async (tx) => {
      const [row] = await tx.$queryRaw<
        { locked: boolean }[]
      >`SELECT pg_try_advisory_xact_lock(hashtext(${`llmguard:${name}`})) AS locked`;
      if (!row?.locked) return { ran: false as const };
      if (options.tick) {
        const fresh = await tx.$executeRaw`
          INSERT INTO processed_webhook_events (provider, "eventId") VALUES ('cron', ${`${name}:${options.tick}`})
          ON CONFLICT DO NOTHING`;
        if (fresh === 0) return { ran: false as const };
      }
      return { ran: true as const, result: await fn(tx) };
    },
    { timeout: options.timeoutMs ?? 15 * 60_000, maxWait: 10_000 },
  );
}

/** The scheduled instant a run belongs to: the minute (or the second, for 6-field schedules). */
export function tickOf(schedule: string, at = new Date()): string {
  const unit = schedule.trim().split(/\s+/).length >= 6 ? 1000 : 60_000;
  return new Date(Math.floor(at.getTime() / unit) * unit).toISOString();
}

/** Runs one job now (logging duration and findings); used by the schedule and by tests. */
export async function runJob(prisma: PrismaClient, job: CronJob, logger: Logger, tick?: string): Promise<boolean> {
  const started = Date.now();
  try {
    const outcome = await runExclusive(prisma, job.name, (db) => job.run(db, tick), { tick });
    cronDuration.observe({ job: job.name }, (Date.now() - started) / 1000);
    cronRuns.inc({ job: job.name, outcome: outcome.ran ? 'ran' : 'skipped' });
    if (!outcome.ran) {
      logger.debug({ job: job.name, tick }, 'cron job skipped: another replica runs or ran it');
      return false;
    }
    logger.info({ job: job.name, durationMs: Date.now() - started, ...(outcome.result ?? {}) }, 'cron job finished');
    return true;
  } catch (err) {
    cronRuns.inc({ job: job.name, outcome: 'failed' });
    logger.error({ err, job: job.name, durationMs: Date.now() - started }, 'cron job failed');
    return false;
  }
}

export function startScheduler(prisma: PrismaClient, jobs: CronJob[], logger: Logger): { stop(): Promise<void> } {
  const tasks: ScheduledTask[] = jobs.map((job) =>
    cron.schedule(job.schedule, () => runJob(prisma, job, logger, tickOf(job.schedule)), {
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
