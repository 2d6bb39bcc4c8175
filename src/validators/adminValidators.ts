import { z } from 'zod';
import { isoDate, pageQuery } from './common.js';
import { Role } from '../types/vocabulary.js';

export const listUsersQuery = pageQuery.extend({
  role: z.enum(Role).optional(),
  email: z.string().trim().max(254).optional(),
});

export const auditLogQuery = pageQuery.extend({
  action: z.string().max(100).optional(),
  actorId: z.string().max(64).optional(),
  targetId: z.string().max(64).optional(),
  from: isoDate.optional(),
  to: isoDate.optional(),
});

export const roleBody = z.strictObject({ role: z.enum(Role) });

export const ipParam = z.object({ ip: z.union([z.ipv4(), z.ipv6()]) });

export type ListUsersQuery = z.infer<typeof listUsersQuery>;
export type AuditLogQuery = z.infer<typeof auditLogQuery>;
