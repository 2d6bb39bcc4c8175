import { env } from '../config/env.js';
import { purgeAuditLogs } from '../services/auditService.js';
import { purgeDeletedProjects } from '../services/projectService.js';
import type { CronJob } from './scheduler.js';

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

/** Every scheduled job of the server. */
export const cronJobs: CronJob[] = [auditRetentionJob, projectPurgeJob];
