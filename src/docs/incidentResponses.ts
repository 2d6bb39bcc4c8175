/** Response bodies of the incident and Datadog routes, for the OpenAPI document (responses.ts). */
import { z } from 'zod';
import { rcaAnswerSchema } from '../domain/incidents/rcaPrompt.js';
import {
  IncidentStatus,
  IncidentType,
  RemediationActionType,
  RemediationStatus,
  Severity,
} from '../types/vocabulary.js';
import { timestamp } from './schemaParts.js';

export const remediation = z
  .object({
    id: z.string().describe('Id of the remediation.'),
    incidentId: z.string().nullable().describe('The incident it was applied for (null once that incident is gone).'),
    projectId: z.string().describe('The project it applies to.'),
    action: z.enum(RemediationActionType).describe("What it does to the project's calls."),
    params: z.record(z.string(), z.unknown()).describe('The parameters of the action, e.g. `{ from, to }`.'),
    status: z.enum(RemediationStatus).describe('`active` while it applies; then `reverted` or `expired`.'),
    appliedById: z.string().nullable().describe('The user who applied it.'),
    createdAt: timestamp.describe('When it was applied.'),
    expiresAt: timestamp.nullable().describe('When it stops applying by itself (null: until reverted).'),
    revertedAt: timestamp.nullable().describe('When it was reverted.'),
    revertedById: z.string().nullable().describe('The user who reverted it (by hand, or by applying reset_settings).'),
  })
  .describe("A remediation: a policy change that shapes or refuses the project's calls.");

export const incident = z
  .object({
    id: z.string().describe('Id of the incident.'),
    projectId: z.string().describe('The project it belongs to.'),
    type: z
      .enum(IncidentType)
      .describe(
        'What opened it: latency, error_rate, risk, cost_spike, anomaly, external (Datadog) or negative_feedback.',
      ),
    severity: z.enum(Severity).describe('How bad it is, from the size of the breach.'),
    status: z.enum(IncidentStatus).describe('`open` until resolved (by hand or when the signal recovers).'),
    title: z.string().describe('One line for lists and alerts.'),
    description: z.string().nullable().describe('More detail, when the detector or the alert has it.'),
    endpoint: z.string().describe("The endpoint it is about ('' for the whole project)."),
    count: z.number().int().min(1).describe('How many times the condition was seen (later occurrences fold in).'),
    firstSeenAt: timestamp.describe('First occurrence.'),
    lastSeenAt: timestamp.describe('Latest occurrence.'),
    figures: z.record(z.string(), z.unknown()).describe("The detector's numbers (thresholds, p95, rates, z-scores)."),
    rca: rcaAnswerSchema
      .extend({
        severity: rcaAnswerSchema.shape.severity.describe('How bad the analysis judges it.'),
        rootCause: rcaAnswerSchema.shape.rootCause.describe('The likely cause, from the incident and its calls.'),
        recommendedFix: rcaAnswerSchema.shape.recommendedFix.describe('What to do about it.'),
        suggestedRemediation: z
          .object({
            action: z.enum(RemediationActionType).describe('The remediation to apply (POST .../apply-remediation).'),
            params: z.record(z.string(), z.unknown()).describe('Its parameters.'),
          })
          .optional()
          .describe('A remediation that would help, when there is one.'),
        source: z.enum(['openai', 'fallback']).describe('`openai`: written by the model; `fallback`: from the data.'),
        model: z.string().optional().describe('The OpenAI model that wrote it.'),
      })
      .nullable()
      .describe('Root cause analysis: by OpenAI when configured, else the deterministic fallback from the data.'),
    rcaGeneratedAt: timestamp.nullable().describe('When the root cause analysis was written.'),
    resolvedAt: timestamp.nullable().describe('When it was resolved.'),
    resolutionNote: z.string().nullable().describe('Why it was resolved, as written by who resolved it.'),
    createdAt: timestamp.describe('When it was opened.'),
    updatedAt: timestamp.describe('Last change.'),
  })
  .describe("An incident: something went wrong with the project's calls (or Datadog said so).");

export const incidentResponse = z.object({ incident });
export const incidentDetailResponse = z.object({
  incident: incident
    .extend({
      relatedRequests: z
        .array(z.record(z.string(), z.unknown()))
        .describe('The calls behind the incident (its window, endpoint and kind), newest first, at most 20.'),
      remediations: z.array(remediation).describe('Remediations applied for this incident, newest first.'),
    })
    .describe('The incident with its calls and remediations.'),
});
export const remediationResponse = z.object({ remediation });

export const datadogWebhookResponse = z.object({
  status: z
    .enum(['opened', 'updated', 'resolved', 'ignored', 'duplicate'])
    .describe('What the alert did to the incidents.'),
  incidentId: z.string().optional().describe('The incident it opened, updated or resolved.'),
});
