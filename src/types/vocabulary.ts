/**
 * The product's closed vocabularies, one list each. The Prisma enums (the database's own types)
 * are the source: validators use `z.enum(RiskLevel)`, services the types, the OpenAPI document
 * the same Zod schemas, so adding a value to the schema reaches every layer.
 */
import {
  Decision,
  IncidentStatus,
  IncidentType,
  PiiMode,
  RemediationActionType,
  RequestStatus,
  RiskLevel,
  Severity,
} from '../generated/prisma/enums.js';

export {
  Decision,
  FeedbackScale,
  GuardMode,
  IncidentStatus,
  IncidentType,
  PiiMode,
  Plan,
  RemediationActionType,
  RemediationStatus,
  RequestStatus,
  RiskLevel,
  Role,
  SentimentLabel,
  Severity,
} from '../generated/prisma/enums.js';

/** The values of an enum object, in declaration order (which is also their rank where one exists). */
function valuesOf<T extends Record<string, string>>(e: T): [T[keyof T], ...T[keyof T][]] {
  return Object.values(e) as [T[keyof T], ...T[keyof T][]];
}

export const RISK_LEVELS = valuesOf(RiskLevel);
export const SEVERITIES = valuesOf(Severity);
export const DECISIONS = valuesOf(Decision);
export const INCIDENT_TYPES = valuesOf(IncidentType);
export const INCIDENT_STATUSES = valuesOf(IncidentStatus);
export const REMEDIATION_ACTIONS = valuesOf(RemediationActionType);
export const PII_MODES = valuesOf(PiiMode);
export const REQUEST_STATUSES = valuesOf(RequestStatus);
