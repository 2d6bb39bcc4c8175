/**
 * Operations: incident checks, the metrics endpoint, cron and backups. Part of the environment
 * schema (env.ts).
 */
import { z } from 'zod';
import { booleanish, keyRing } from './envFields.js';

export const operationsFields = {
  /** Minimum time between the database-backed incident rules (error rate, cost) per project. */
  INCIDENT_CHECK_INTERVAL_MS: z.coerce.number().int().min(0).default(10_000),
  /** When set, GET /metrics (Prometheus) requires `Authorization: Bearer <METRICS_TOKEN>`. */
  METRICS_TOKEN: z.string().min(16).optional(),
  /** Schedule of the scheduler's heartbeat job (node-cron syntax; 6 fields = with seconds). */
  CRON_HEARTBEAT_SCHEDULE: z.string().default('0 * * * *'),
  /** Run cron jobs in this process (turn off in tests or on worker-less replicas). */
  CRON_ENABLED: booleanish.default(true),
  /** Where backups are written (npm run backup, the backup cron); unset: `<DATA_DIR>/backups`. */
  BACKUP_DIR: z.string().min(1).optional(),
  /** Backups kept in BACKUP_DIR; older ones are deleted after each successful backup. */
  BACKUP_RETENTION_COUNT: z.coerce.number().int().min(1).default(7),
  /**
   * Key ring for backups, same format as ENCRYPTION_KEYS. Unset: the newest ENCRYPTION_KEYS entry
   * encrypts them. A separate ring lets backups outlive rotations of ENCRYPTION_KEYS.
   */
  BACKUP_ENCRYPTION_KEY: keyRing.optional(),
  /** zstd needs Node.js >= 22.15 (node:zlib); gzip works everywhere. */
  BACKUP_COMPRESSION: z.enum(['gzip', 'zstd']).default('gzip'),
  /** auto: pg_dump when its major version >= the server's (pg_dump refuses newer servers), else built-in. */
  BACKUP_METHOD: z.enum(['auto', 'pg_dump', 'builtin']).default('auto'),
  /** pg_dump to use instead of the one on PATH; pg_restore is taken from the same directory. */
  PG_DUMP_PATH: z.string().min(1).optional(),
  /** Daily backup at 02:45 UTC by the cron scheduler (needs CRON_ENABLED; once across replicas). */
  BACKUP_CRON_ENABLED: booleanish.default(false),
  /** Off-site copy: every backup is also uploaded to this S3-compatible bucket (same retention). */
  BACKUP_S3_BUCKET: z.string().min(1).optional(),
  BACKUP_S3_PREFIX: z.string().default('llmguard/'),
  BACKUP_S3_REGION: z.string().default('us-east-1'),
  /** For MinIO, R2 and other S3-compatible services (unset: AWS). */
  BACKUP_S3_ENDPOINT: z.url().optional(),
  BACKUP_S3_FORCE_PATH_STYLE: booleanish.default(false),
  /** Unset: the AWS SDK's default credential chain (instance role, AWS_* variables, profile). */
  BACKUP_S3_ACCESS_KEY_ID: z.string().optional(),
  BACKUP_S3_SECRET_ACCESS_KEY: z.string().optional(),
};
