/**
 * What the project's policy and config version make of an outgoing chat request: the messages
 * that leave (system prompt set, PII redacted), the defaults the config version adds, and the
 * header naming that version.
 */
import type { ChatMessage } from '../../domain/chat/messages.js';
import { redactPii } from '../../domain/risk/piiRedaction.js';
import type { ProjectContext } from '../auth/keyCache.js';
import type { Enforcement } from '../incidents/remediationEnforcer.js';

function redactContent(content: unknown): unknown {
  if (typeof content === 'string') return redactPii(content).text;
  if (Array.isArray(content)) {
    return content.map((p) =>
      p && typeof p === 'object' && typeof (p as { text?: unknown }).text === 'string'
        ? { ...p, text: redactPii((p as { text: string }).text).text }
        : p,
    );
  }
  return content;
}

/** The messages that leave: the policy's system prompt in front, PII redacted when asked. */
export function outgoingMessages(
  messages: readonly ChatMessage[],
  policy: Enforcement,
  redact: boolean,
): ChatMessage[] {
  let out = redact ? messages.map((m) => ({ ...m, content: redactContent(m.content) })) : [...messages];
  if (policy.systemPrompt !== null) {
    out = [{ role: 'system', content: policy.systemPrompt }, ...out.filter((m) => m.role !== 'system')];
  }
  return out;
}

/** `x-llmguard-config-version`: the config version (the split's arm) that answered; none before versioning. */
export function configVersionHeader(project: ProjectContext): Record<string, string> {
  return project.configVersion === null ? {} : { 'x-llmguard-config-version': String(project.configVersion) };
}

/**
 * What the active config version (or the user's split arm) adds to a call: `temperature` and
 * `maxTokens` as defaults for a request that does not set them (`max_tokens` or
 * `max_completion_tokens`), and `fallbackModels`, tried after the effective model and before the
 * provider's own fallbacks.
 */
export function configDefaults(project: ProjectContext): {
  fallbackModels: string[];
  params: (request: Record<string, unknown>) => Record<string, unknown>;
} {
  const settings = project.modelSettings as { temperature?: unknown; maxTokens?: unknown; fallbackModels?: unknown };
  const fallbackModels = Array.isArray(settings.fallbackModels)
    ? settings.fallbackModels.filter((m): m is string => typeof m === 'string')
    : [];
  return {
    fallbackModels,
    params(request) {
      const out: Record<string, unknown> = {};
      if (typeof settings.temperature === 'number' && request.temperature == null) {
        out.temperature = settings.temperature;
      }
      if (
        typeof settings.maxTokens === 'number' &&
        request.max_tokens == null &&
        request.max_completion_tokens == null
      ) {
        out.max_tokens = settings.maxTokens;
      }
      return out;
    },
  };
}
