/**
 * What the hot path knows of a project and a key (cached by services/auth/keyCache), shared by
 * the middleware that attaches it to a request and the services that enforce it.
 */
import type { GuardMode, PiiMode, Plan, RemediationActionType } from '../generated/prisma/client.js';

export interface ActiveRemediation {
  id: string;
  incidentId: string | null;
  action: RemediationActionType;
  params: Record<string, unknown>;
  expiresAt: number | null;
}

export interface ProjectContext {
  projectId: string;
  ownerId: string;
  plan: Plan;
  safetyThreshold: number;
  piiMode: PiiMode;
  /** monitor: decisions never block */
  guardMode: GuardMode;
  defaultModel: string | null;
  systemPrompt: string | null;
  modelSettings: Record<string, unknown>;
  ruleThresholds: Record<string, unknown>;
  remediations: ActiveRemediation[];
  /** the config version these settings are (null: a project not versioned yet) */
  configVersion: number | null;
  /** while an A/B split runs: each arm's weight and the context its calls use */
  split: { salt: string; arms: ProjectArm[] } | null;
}

export interface ProjectArm {
  version: number;
  weight: number;
  context: ProjectContext;
}

export interface VerifiedKey {
  apiKeyId: string;
  projectId: string;
  digest: string;
  /** epoch ms; null = never */
  expiresAt: number | null;
}
