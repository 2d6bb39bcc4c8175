import { env } from '../config/env.js';
import { purgeAuditLogs } from '../services/ops/auditService.js';
import { applyRawLogRetention } from '../services/analytics/logRetentionService.js';
import { purgeDeletedProjects } from '../services/projects/projectService.js';
import { repairRollupDay, utcDayStart } from '../services/analytics/rollupService.js';
import { runAnomalyDetection } from '../services/incidents/anomalyService.js';
import type { IncidentEvents } from '../services/incidents/incidentEvents.js';
import { expireRemediations } from '../services/incidents/remediationService.js';
import { runScheduledBackup } from '../services/ops/backup/fromEnv.js';
import { planConfigFromEnv, type PlanConfig } from '../config/plans.js';
import type { CronJob } from './scheduler.js';
import { ensureRequestPartitions } from '../services/analytics/requestPartitions.js';
import { fillPendingSearch } from '../services/ingest/deferredSearch.js';
import { DAY_MS } from '../utils/time.js';

export const auditRetentionJob: CronJob = {
  name: 'audit-retention',
  schedule: '17 3 * * *',
  async run(db) {
    return { deleted: await purgeAuditLogs(db, env.AUDIT_RETENTION_DAYS), retentionDays: env.AUDIT_RETENTION_DAYS };
  },
};

/** Deleted projects' data is removed here, off the request path. */
export const projectPurgeJob: CronJob = {
  name: 'project-purge',
  schedule: '*/5 * * * *',
  run: (db) => purgeDeletedProjects(db),
};

/**
 * Re-derives yesterday's (UTC) rollups from the raw rows, repairing any drift. Run a little after
 * midnight: rows are stamped on arrival, so the closed day gets no new rows by then.
 */
export const rollupRepairJob: CronJob = {
  name: 'rollup-repair',
  schedule: '20 0 * * *',
  run: (db) => repairRollupDay(db, new Date(utcDayStart(new Date()).getTime() - DAY_MS)),
};

/** Raw request rows past the owner's plan retention are deleted; rollups are kept. */
export function logRetentionJob(plans: PlanConfig = planConfigFromEnv()): CronJob {
  return {
    name: 'log-retention',
    schedule: '40 3 * * *',
    run: (db) => applyRawLogRetention(db, new Date(), 10_000, plans),
  };
}

/** Month partitions of llm_requests are created ahead (also done at start-up). */
export const requestPartitionsJob: CronJob = {
  name: 'request-partitions',
  schedule: '7 * * * *',
  run: async (db) => ({ created: await ensureRequestPartitions(db) }),
};

/**
 * Search vectors of large rows that the server did not fill after their commit (it crashed or
 * stopped in between; services/ingest/deferredSearch.ts). Usually finds nothing.
 */
export const searchBackfillJob: CronJob = {
  name: 'search-backfill',
  schedule: '* * * * *',
  run: async (db) => ({ filled: await fillPendingSearch(db) }),
};

/** Hourly 3-sigma anomaly detection over the rollups (a few minutes past the hour). */
export function anomalyJob(events: IncidentEvents): CronJob {
  return {
    name: 'anomaly-detection',
    schedule: '5 * * * *',
    async run(db) {
      const { projects, anomalies, findings } = await runAnomalyDetection(db, events);
      return {
        projects,
        anomalies,
        findings: findings.map((f) => ({ projectId: f.projectId, metrics: f.findings.map((x) => x.metric) })),
      };
    },
  };
}

/** Marks remediations past their expiry (enforcement ignores them already; this is the record). */
export const remediationExpiryJob: CronJob = {
  name: 'remediation-expiry',
  schedule: '* * * * *',
  run: async (db) => ({ expired: await expireRemediations(db) }),
};

/**
 * Daily encrypted backup into BACKUP_DIR (BACKUP_CRON_ENABLED=true). It runs inside the job's
 * lock transaction, so a backup must finish within runExclusive's 15-minute timeout.
 */
export const backupJob: CronJob = {
  name: 'backup',
  schedule: '45 2 * * *',
  run: () => runScheduledBackup(),
};

/**
 * Proof of life of the scheduler: one audit row per scheduled tick, whatever the number of
 * replicas (CRON_HEARTBEAT_SCHEDULE). Also drops run markers older than a week.
 */
export const heartbeatJob: CronJob = {
  name: 'cron-heartbeat',
  schedule: env.CRON_HEARTBEAT_SCHEDULE,
  async run(db, tick) {
    await db.auditLog.create({
      data: { action: 'cron.heartbeat', metadata: { tick: tick ?? new Date().toISOString() } },
    });
    const purged = await db.$executeRaw`
      DELETE FROM processed_webhook_events WHERE provider = 'cron' AND "receivedAt" < (now() AT TIME ZONE 'UTC') - interval '7 days'`;
    return { tick, purgedMarkers: purged };
  },
};

/** Every scheduled job of the server. */
export function cronJobs(deps: { incidentEvents: IncidentEvents; plans?: PlanConfig }): CronJob[] {
  return [
    auditRetentionJob,
    projectPurgeJob,
    rollupRepairJob,
    logRetentionJob(deps.plans),
    requestPartitionsJob,
    searchBackfillJob,
    anomalyJob(deps.incidentEvents),
    remediationExpiryJob,
    heartbeatJob,
    ...(env.BACKUP_CRON_ENABLED ? [backupJob] : []),
  ];
}
