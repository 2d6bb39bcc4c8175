import type { Request } from 'express';
import type { Logger } from 'pino';
import type { PrismaClient } from '../db/prisma.js';
import type { AuditContext } from '../services/auditService.js';
import type { QuotaGate } from '../services/ingestService.js';
import type { IngestWriter } from '../services/ingestWriter.js';
import type { KeyCache } from '../services/keyCache.js';
import type { Security } from '../services/security.js';

/** What controllers and routers are built with. */
export interface AppContext {
  prisma: PrismaClient;
  security: Security;
  keyCache: KeyCache;
  ingestWriter: IngestWriter;
  quota: QuotaGate;
  logger: Logger;
}

/** Who and where, for audit rows. */
export function auditContext(req: Request): AuditContext {
  return {
    actorId: req.auth?.sub ?? null,
    ip: req.ip ?? null,
    userAgent: req.get('user-agent') ?? null,
    requestId: String(req.id),
  };
}
