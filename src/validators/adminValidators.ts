import { z } from 'zod';
import { isoDate, pageQuery } from './common.js';
import { Role } from '../types/vocabulary.js';

export const listUsersQuery = pageQuery.extend({
  role: z.enum(Role).optional().describe('Only users with this role.'),
  email: z
    .string()
    .trim()
    .max(254)
    .optional()
    .describe('Only users whose email contains this text (case-insensitive).'),
});

export const auditLogQuery = pageQuery.extend({
  action: z.string().max(100).optional().describe('Only entries of this action, e.g. `user.role_change`.'),
  actorId: z.string().max(64).optional().describe('Only entries by this user id.'),
  targetId: z.string().max(64).optional().describe('Only entries about this target id (a user, project, ...).'),
  from: isoDate.optional().describe('Only entries at or after this time (ISO-8601).'),
  to: isoDate.optional().describe('Only entries at or before this time (ISO-8601).'),
});

export const roleBody = z.strictObject({ role: z.enum(Role).describe('The role the user gets.') });

export const ipParam = z.object({ ip: z.union([z.ipv4(), z.ipv6()]) });

export type ListUsersQuery = z.infer<typeof listUsersQuery>;
export type AuditLogQuery = z.infer<typeof auditLogQuery>;
