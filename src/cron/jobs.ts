import { env } from '../config/env.js';
import { purgeAuditLogs } from '../services/auditService.js';
import type { CronJob } from './scheduler.js';

export const auditRetentionJob: CronJob = {
  name: 'audit-retention',
  schedule: '17 3 * * *',
  async run(db) {
    return { deleted: await purgeAuditLogs(db, env.AUDIT_RETENTION_DAYS), retentionDays: env.AUDIT_RETENTION_DAYS };
  },
};

/** Every scheduled job of the server. */
export const cronJobs: CronJob[] = [auditRetentionJob];
