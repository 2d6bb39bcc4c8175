import { z } from 'zod';
import { isoDate, pageQuery } from './common.js';
import { IncidentStatus, IncidentType, Severity } from '../types/vocabulary.js';

export const incidentListQuery = pageQuery.extend({
  projectId: z.string().min(1).max(64).describe('The project whose incidents to list.'),
  status: z.enum(IncidentStatus).optional().describe('Only incidents with this status.'),
  severity: z.enum(Severity).optional().describe('Only incidents of this severity.'),
  type: z.enum(IncidentType).optional().describe('Only incidents of this type.'),
  from: isoDate.optional().describe('Only incidents last seen at or after this time.'),
  to: isoDate.optional().describe('Only incidents last seen at or before this time.'),
});

export const resolveBody = z.strictObject({
  note: z.string().trim().max(2000).optional().describe('Why it is resolved (stored as `resolutionNote`).'),
});

const modelName = z.string().trim().min(1).max(200);
const expiresAt = isoDate
  .optional()
  .describe('When the remediation stops applying by itself (must be in the future; default: until reverted).');

/** Each remediation action with its own parameters. */
export const remediationBody = z.discriminatedUnion('action', [
  z.strictObject({
    action: z.literal('switch_model').describe('Serve calls with another model.'),
    params: z
      .strictObject({
        from: modelName.optional().describe('Only calls for this model (default: every call).'),
        to: modelName.describe('The model they get instead (`effectiveModel`).'),
      })
      .describe('Which model to replace by which.'),
    expiresAt,
  }),
  z.strictObject({
    action: z.literal('increase_safety_threshold').describe("Replace the project's safety threshold."),
    params: z
      .strictObject({
        threshold: z.number().int().min(0).max(100).describe('The risk score at or above which calls are blocked.'),
      })
      .describe('The threshold to use.'),
    expiresAt,
  }),
  z.strictObject({
    action: z
      .literal('disable_endpoint')
      .describe('Refuse the calls of one endpoint (403 ENDPOINT_DISABLED; reported calls are stored as refused).'),
    params: z
      .strictObject({
        endpoint: z.string().trim().min(1).max(200).describe('The `endpoint` name the app sends.'),
      })
      .describe('The endpoint to disable.'),
    expiresAt,
  }),
  z.strictObject({
    action: z
      .literal('reset_settings')
      .describe("Put the project's settings back to the defaults and revert every active remediation."),
    params: z.strictObject({}).default({}).describe('None.'),
  }),
  z.strictObject({
    action: z.literal('change_system_prompt').describe('Give calls another system prompt.'),
    params: z
      .strictObject({
        systemPrompt: z
          .string()
          .min(1)
          .max(20_000)
          .describe('The system prompt calls should use (returned as `systemPrompt`).'),
      })
      .describe('The new system prompt.'),
    expiresAt,
  }),
  z.strictObject({
    action: z
      .literal('rate_limit_user')
      .describe('Limit the calls of one end user (429 USER_RATE_LIMITED beyond the limit).'),
    params: z
      .strictObject({
        userId: z.string().trim().min(1).max(200).describe('The `userId` the app sends for the end user.'),
        limit: z.number().int().min(1).max(1_000_000).describe('Calls allowed per window.'),
        windowSeconds: z.number().int().min(1).max(86_400).describe('Length of the window in seconds.'),
      })
      .describe('Who and how much.'),
    expiresAt,
  }),
]);
z.globalRegistry.add(remediationBody, {
  examples: [{ action: 'switch_model', params: { from: 'gpt-4o', to: 'gpt-4o-mini' } }],
});

export const remediationParams = z.object({ id: z.string().min(1).max(64), rid: z.string().min(1).max(64) });

export const datadogQuery = z.object({
  projectId: z.string().min(1).max(64).describe('The project the alert is for (its Datadog secret signs the call).'),
});

export const datadogBody = z.object({
  id: z
    .union([z.string(), z.number()])
    .transform(String)
    .pipe(z.string().min(1).max(200))
    .describe('The event id (Datadog $ID); an id seen before is answered `duplicate`.'),
  title: z.string().trim().min(1).max(500).describe('The event title; becomes the incident title.'),
  body: z.string().max(20_000).nullish().describe('The event text; becomes the incident description.'),
  alertType: z
    .string()
    .max(50)
    .nullish()
    .describe('Datadog $ALERT_TYPE: `error` means high severity, `warning` medium (without a priority).'),
  /** the monitor alert this event belongs to (Datadog $ALERT_ID); the title when absent */
  alertId: z
    .union([z.string(), z.number()])
    .transform(String)
    .nullish()
    .describe('The monitor alert this event belongs to (Datadog $ALERT_ID); the title when absent.'),
  transition: z
    .string()
    .max(50)
    .nullish()
    .describe('Datadog $ALERT_TRANSITION: `Recovered`, `Resolved` or `OK` resolves the open incident.'),
  priority: z.string().max(10).nullish().describe('Datadog $PRIORITY: P1 critical, P2 high, P3 medium, P4-P5 low.'),
  link: z.string().max(2048).nullish().describe('Link to the event in Datadog (kept in the figures).'),
  tags: z
    .union([z.string().max(5000), z.array(z.string().max(500)).max(200)])
    .nullish()
    .describe('Tags, comma-separated or as a list (kept in the figures).'),
  date: z.union([z.string(), z.number()]).nullish().describe('When it happened, as Datadog sends it.'),
});

export type IncidentListQuery = z.infer<typeof incidentListQuery>;
export type RemediationInput = z.infer<typeof remediationBody>;
export type DatadogAlert = z.infer<typeof datadogBody>;
