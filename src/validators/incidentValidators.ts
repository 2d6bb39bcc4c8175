import { z } from 'zod';
import { isoDate, pageQuery } from './common.js';
import { IncidentStatus, IncidentType, Severity } from '../types/vocabulary.js';

export const incidentListQuery = pageQuery.extend({
  projectId: z.string().min(1).max(64),
  status: z.enum(IncidentStatus).optional(),
  severity: z.enum(Severity).optional(),
  type: z.enum(IncidentType).optional(),
  from: isoDate.optional(),
  to: isoDate.optional(),
});

export const resolveBody = z.strictObject({ note: z.string().trim().max(2000).optional() });

const modelName = z.string().trim().min(1).max(200);

/** Each remediation action with its own parameters. */
export const remediationBody = z.discriminatedUnion('action', [
  z.strictObject({
    action: z.literal('switch_model'),
    params: z.strictObject({ from: modelName.optional(), to: modelName }),
    expiresAt: isoDate.optional(),
  }),
  z.strictObject({
    action: z.literal('increase_safety_threshold'),
    params: z.strictObject({ threshold: z.number().int().min(0).max(100) }),
    expiresAt: isoDate.optional(),
  }),
  z.strictObject({
    action: z.literal('disable_endpoint'),
    params: z.strictObject({ endpoint: z.string().trim().min(1).max(200) }),
    expiresAt: isoDate.optional(),
  }),
  z.strictObject({ action: z.literal('reset_settings'), params: z.strictObject({}).default({}) }),
  z.strictObject({
    action: z.literal('change_system_prompt'),
    params: z.strictObject({ systemPrompt: z.string().min(1).max(20_000) }),
    expiresAt: isoDate.optional(),
  }),
  z.strictObject({
    action: z.literal('rate_limit_user'),
    params: z.strictObject({
      userId: z.string().trim().min(1).max(200),
      limit: z.number().int().min(1).max(1_000_000),
      windowSeconds: z.number().int().min(1).max(86_400),
    }),
    expiresAt: isoDate.optional(),
  }),
]);
z.globalRegistry.add(remediationBody, {
  examples: [{ action: 'switch_model', params: { from: 'gpt-4o', to: 'gpt-4o-mini' } }],
});

export const remediationParams = z.object({ id: z.string().min(1).max(64), rid: z.string().min(1).max(64) });

export const datadogQuery = z.object({ projectId: z.string().min(1).max(64) });

export const datadogBody = z.object({
  id: z.union([z.string(), z.number()]).transform(String).pipe(z.string().min(1).max(200)),
  title: z.string().trim().min(1).max(500),
  body: z.string().max(20_000).nullish(),
  alertType: z.string().max(50).nullish(),
  /** the monitor alert this event belongs to (Datadog $ALERT_ID); the title when absent */
  alertId: z.union([z.string(), z.number()]).transform(String).nullish(),
  transition: z.string().max(50).nullish(),
  priority: z.string().max(10).nullish(),
  link: z.string().max(2048).nullish(),
  tags: z.union([z.string().max(5000), z.array(z.string().max(500)).max(200)]).nullish(),
  date: z.union([z.string(), z.number()]).nullish(),
});

export type IncidentListQuery = z.infer<typeof incidentListQuery>;
export type RemediationInput = z.infer<typeof remediationBody>;
export type DatadogAlert = z.infer<typeof datadogBody>;
