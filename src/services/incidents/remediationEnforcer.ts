/**
 * Applies a project's active remediations to one incoming call: the point where an
 * incident's remediation becomes policy. Pure except for the per-user limiter.
 */
import type { RateLimiterAbstract } from 'rate-limiter-flexible';
import { RateLimiterRes } from 'rate-limiter-flexible';
import { AppError } from '../../utils/AppError.js';
import type { ActiveRemediation, ProjectContext } from '../auth/keyCache.js';
import { retryAfterSeconds } from '../../utils/time.js';

export interface Enforcement {
  effectiveModel: string;
  systemPrompt: string | null;
  safetyThreshold: number;
  applied: { id: string; action: string }[];
  flags: string[];
}

/** Limiter for a `rate_limit_user` remediation (built per remediation: its limit and window). */
export type UserLimiterFor = (remediation: ActiveRemediation) => RateLimiterAbstract;

export function activeRemediations(project: ProjectContext, now = Date.now()): ActiveRemediation[] {
  return project.remediations.filter((r) => r.expiresAt === null || r.expiresAt > now);
}

/**
 * Throws 403 ENDPOINT_DISABLED or 429 USER_RATE_LIMITED, or returns what the call should
 * use: the effective model, system prompt and safety threshold.
 */
export async function enforceRemediations(
  project: ProjectContext,
  call: { model: string; endpoint: string | null; userId: string | null },
  limiterFor: UserLimiterFor,
): Promise<Enforcement> {
  const settings = project.modelSettings as {
    allowedModels?: string[] | null;
    fallbackModel?: string | null;
    model?: string | null;
    modelRoutes?: Record<string, string> | null;
  };
  // The config version's model (forced, or rewritten from the one asked for) comes first.
  const requested = settings.model ?? settings.modelRoutes?.[call.model] ?? call.model;
  const out: Enforcement = {
    effectiveModel: requested,
    systemPrompt: project.systemPrompt,
    safetyThreshold: project.safetyThreshold,
    applied: [],
    flags: [],
  };
  if (settings.allowedModels?.length && !settings.allowedModels.includes(requested)) {
    out.effectiveModel = settings.fallbackModel ?? project.defaultModel ?? requested;
    out.flags.push('model:not_allowed');
  }
  for (const r of activeRemediations(project)) {
    const p = r.params;
    switch (r.action) {
      case 'disable_endpoint':
        if (call.endpoint !== null && p.endpoint === call.endpoint) {
          throw new AppError('ENDPOINT_DISABLED', `Endpoint "${call.endpoint}" is disabled by a remediation`, {
            details: { remediationId: r.id, incidentId: r.incidentId },
          });
        }
        break;
      case 'rate_limit_user':
        if (call.userId !== null && p.userId === call.userId) {
          try {
            await limiterFor(r).consume(`${r.id}:${call.userId}`);
          } catch (rejection) {
            if (!(rejection instanceof RateLimiterRes)) throw rejection;
            const retryAfter = retryAfterSeconds(rejection.msBeforeNext);
            throw new AppError('USER_RATE_LIMITED', `End user "${call.userId}" is rate-limited by a remediation`, {
              headers: { 'Retry-After': retryAfter },
              details: { remediationId: r.id },
            });
          }
          out.applied.push({ id: r.id, action: r.action });
        }
        break;
      case 'switch_model':
        if (
          typeof p.to === 'string' &&
          (p.from === undefined || p.from === null || p.from === call.model || p.from === requested)
        ) {
          out.effectiveModel = p.to;
          out.applied.push({ id: r.id, action: r.action });
        }
        break;
      case 'increase_safety_threshold':
        if (typeof p.threshold === 'number') {
          out.safetyThreshold = p.threshold;
          out.applied.push({ id: r.id, action: r.action });
        }
        break;
      case 'change_system_prompt':
        if (typeof p.systemPrompt === 'string') {
          out.systemPrompt = p.systemPrompt;
          out.applied.push({ id: r.id, action: r.action });
        }
        break;
      case 'reset_settings':
        // Applied once to the stored settings when the remediation is created.
        break;
      default: {
        // A new action must be enforced here: without a case above this line does not compile.
        const unhandled: never = r.action;
        throw new Error(`remediation action ${String(unhandled)} has no enforcement`);
      }
    }
  }
  return out;
}
