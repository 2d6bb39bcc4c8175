/**
 * LLMGuard for apps that cannot send their calls through the gateway: `guard.wrap(openai)`
 * reports every `chat.completions.create` to `POST /api/v1/llm/request` (latency, tokens,
 * status) and applies the policy the answer returns (`effectiveModel`, `systemPrompt`) to the
 * next call; `guard.guardCheck()` asks for the decision on a prompt or chat messages before calling the model.
 */
import type OpenAI from 'openai';

export interface LLMGuardOptions {
  /** The project's API key (lgk_...). */
  apiKey: string;
  /** The LLMGuard server, e.g. https://llmguard.example.com (without /api/v1). */
  baseUrl: string;
  /** Endpoint name recorded with each call (what disable_endpoint remediations match). */
  endpoint?: string;
  /** A report that fails is passed here (default: ignored, the app's call is never failed by it). */
  onReportError?: (err: unknown) => void;
  fetch?: typeof fetch;
}

export interface CallReport {
  model: string;
  /** The prompt as one text; or send `messages` instead (exactly one of the two). */
  prompt?: string;
  /** OpenAI's chat messages as sent: stored with their roles and scored message by message. */
  messages?: readonly Message[];
  response?: string | null;
  endpoint?: string | null;
  userId?: string | null;
  latencyMs: number;
  promptTokens?: number | null;
  completionTokens?: number | null;
  status?: 'success' | 'error';
  error?: string | null;
  metadata?: Record<string, unknown> | null;
}

export type Decision = 'allow' | 'flag' | 'block';

export interface ReportResult {
  id: string;
  riskScore: number;
  riskLevel: 'low' | 'medium' | 'high' | 'critical';
  riskFlags: string[];
  decision: Decision;
  effectiveModel: string;
  systemPrompt: string | null;
  costUsd: number | null;
  remediations: { id: string; action: string }[];
}

/** What `guardCheck` asks about: a prompt as one text, or OpenAI's chat messages (exactly one of the two). */
export type GuardCheckInput = { model: string; userId?: string | null; endpoint?: string | null } & (
  { prompt: string; messages?: never } | { messages: readonly Message[]; prompt?: never }
);

export interface GuardCheckResult {
  decision: Decision;
  riskScore: number;
  riskLevel: 'low' | 'medium' | 'high' | 'critical';
  riskFlags: string[];
  effectiveModel: string;
  systemPrompt: string | null;
  remediations: { id: string; action: string }[];
  /** for a check of a prompt: the prompt as it may leave (PII redacted under piiMode "redact") */
  prompt?: string;
  /**
   * for a check of messages: each message's role and text as it may leave (PII redacted under
   * piiMode "redact"; content parts flattened to their text)
   */
  messages?: { role: string; content: string; name?: string }[];
}

/** An answer of the LLMGuard API other than 2xx. */
export class LLMGuardError extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
  ) {
    super(message);
    this.name = 'LLMGuardError';
  }
}

type Message = { role: string; content?: unknown; [k: string]: unknown };

function textOf(content: unknown): string {
  if (typeof content === 'string') return content;
  if (Array.isArray(content)) {
    return content
      .map((p) =>
        p && typeof p === 'object' && typeof (p as { text?: unknown }).text === 'string'
          ? (p as { text: string }).text
          : '',
      )
      .filter(Boolean)
      .join('\n');
  }
  return '';
}

/**
 * Every non-system message's text as one prompt (`report`, `wrap` and `guardCheck` can send the
 * messages themselves, scored by role).
 */
export function promptOf(messages: readonly Message[]): string {
  return messages
    .filter((m) => m.role !== 'system' && m.role !== 'developer')
    .map((m) => textOf(m.content))
    .filter(Boolean)
    .join('\n\n');
}

export class LLMGuard {
  private readonly fetch: typeof fetch;
  private readonly api: string;
  /** What the last answer asked for: model rewrites (by requested model) and the system prompt. */
  private policy: { models: Map<string, string>; systemPrompt: string | null } = {
    models: new Map(),
    systemPrompt: null,
  };
  private pending = new Set<Promise<unknown>>();

  constructor(private readonly options: LLMGuardOptions) {
    this.fetch = options.fetch ?? globalThis.fetch;
    this.api = `${options.baseUrl.replace(/(?<!\/)\/+$/, '')}/api/v1`;
  }

  private async post<T>(path: string, body: unknown): Promise<T> {
    const res = await this.fetch(`${this.api}${path}`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: `Bearer ${this.options.apiKey}` },
      body: JSON.stringify(body),
    });
    const json = (await res.json().catch(() => ({}))) as { error?: { code?: string; message?: string } };
    if (!res.ok) {
      throw new LLMGuardError(res.status, json.error?.code ?? 'UNKNOWN', json.error?.message ?? `HTTP ${res.status}`);
    }
    return json as T;
  }

  /** Records one call; remembers the policy it returns for the next call of a wrapped client. */
  async report(call: CallReport): Promise<ReportResult> {
    const result = await this.post<ReportResult>('/llm/request', {
      endpoint: this.options.endpoint ?? null,
      ...call,
    });
    if (result.effectiveModel !== call.model) this.policy.models.set(call.model, result.effectiveModel);
    else this.policy.models.delete(call.model);
    this.policy.systemPrompt = result.systemPrompt;
    return result;
  }

  /**
   * Pre-flight: the decision, effective model and system prompt for a prompt or for the chat
   * messages about to be sent (scored by role, as reports are), without calling a model and
   * without recording anything. Throws LLMGuardError 403/429 when a remediation refuses the call.
   */
  guardCheck(
    input: GuardCheckInput & { prompt: string },
  ): Promise<GuardCheckResult & { prompt: string; messages?: undefined }>;
  guardCheck(
    input: GuardCheckInput & { messages: readonly Message[] },
  ): Promise<GuardCheckResult & { messages: NonNullable<GuardCheckResult['messages']>; prompt?: undefined }>;
  guardCheck(input: GuardCheckInput): Promise<GuardCheckResult>;
  guardCheck(input: GuardCheckInput): Promise<GuardCheckResult> {
    return this.post<GuardCheckResult>('/llm/check', { endpoint: this.options.endpoint ?? null, ...input });
  }

  /** The model and messages the next call should use under the last known policy. */
  applyPolicy<M extends Message>(model: string, messages: readonly M[]): { model: string; messages: M[] } {
    const system = this.policy.systemPrompt;
    return {
      model: this.policy.models.get(model) ?? model,
      messages:
        system === null
          ? [...messages]
          : [{ role: 'system', content: system } as M, ...messages.filter((m) => m.role !== 'system')],
    };
  }

  /**
   * The same client, whose `chat.completions.create` (non-streaming and streaming) is reported
   * after each call and follows the policy of the previous answer.
   */
  wrap<C extends OpenAI>(client: C): C {
    const completions = client.chat.completions;
    const original = completions.create.bind(completions) as (params: unknown, options?: unknown) => Promise<unknown>;
    // eslint-disable-next-line @typescript-eslint/no-this-alias -- the wrapped create runs with the SDK client as `this`
    const guard = this;
    const create = async (
      params: { model: string; messages: Message[]; user?: string; stream?: boolean | null },
      options?: unknown,
    ) => {
      const requested = params.model;
      // The previous call's report may still be on its way: its policy applies to this call.
      await guard.flush();
      const applied = guard.applyPolicy(requested, params.messages);
      const started = performance.now();
      // The app's messages as it sent them, roles and all: LLMGuard scores each with its role.
      const messages = params.messages;
      const send = (r: Omit<CallReport, 'model' | 'prompt' | 'messages' | 'latencyMs'>) => {
        const p = guard
          .report({
            model: requested,
            messages,
            latencyMs: Math.round(performance.now() - started),
            userId: params.user ?? null,
            ...r,
          })
          .catch((err: unknown) => guard.options.onReportError?.(err))
          .finally(() => guard.pending.delete(p));
        guard.pending.add(p);
      };
      let result: unknown;
      try {
        result = await original({ ...params, ...applied }, options);
      } catch (err) {
        send({ status: 'error', error: err instanceof Error ? err.message.slice(0, 500) : String(err) });
        throw err;
      }
      if (params.stream) {
        // Reported when the stream ends: the text and usage seen while the app read it.
        const stream = result as AsyncIterable<{
          choices: { delta?: { content?: string | null } }[];
          usage?: { prompt_tokens?: number; completion_tokens?: number } | null;
        }>;
        const iterate = stream[Symbol.asyncIterator].bind(stream);
        let text = '';
        let usage: { prompt_tokens?: number; completion_tokens?: number } | null = null;
        Object.defineProperty(stream, Symbol.asyncIterator, {
          value: async function* () {
            try {
              for await (const chunk of { [Symbol.asyncIterator]: iterate }) {
                text += chunk.choices[0]?.delta?.content ?? '';
                if (chunk.usage) usage = chunk.usage;
                yield chunk;
              }
              send({
                response: text,
                status: 'success',
                promptTokens: usage?.prompt_tokens ?? null,
                completionTokens: usage?.completion_tokens ?? null,
              });
            } catch (err) {
              send({
                response: text,
                status: 'error',
                error: err instanceof Error ? err.message.slice(0, 500) : String(err),
              });
              throw err;
            }
          },
        });
        return stream;
      }
      const completion = result as {
        choices: { message?: { content?: string | null } }[];
        usage?: { prompt_tokens?: number; completion_tokens?: number };
      };
      send({
        response: completion.choices[0]?.message?.content ?? null,
        promptTokens: completion.usage?.prompt_tokens ?? null,
        completionTokens: completion.usage?.completion_tokens ?? null,
        status: 'success',
      });
      return completion;
    };
    Object.defineProperty(completions, 'create', { value: create, configurable: true, writable: true });
    return client;
  }

  /** Resolves once the reports of the calls made so far have been answered (tests, shutdown). */
  async flush(): Promise<void> {
    await Promise.all([...this.pending]);
  }
}
