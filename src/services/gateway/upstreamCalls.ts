/**
 * The gateway's upstream call (chatGateway.ts prepares it): the official `openai` SDK, the
 * requested model and then the fallback models in order, for as long as a failure is worth
 * another model (the upstream's, not the caller's).
 */
import type {
  ChatCompletion,
  ChatCompletionChunk,
  ChatCompletionCreateParams,
} from 'openai/resources/chat/completions';
import { APIConnectionError, APIError, APIUserAbortError } from 'openai';
import type { PreparedChat } from './chatGateway.js';

/** Upstream failures after which the next fallback model is tried (not the caller's mistakes). */
export function worthFallback(err: unknown): boolean {
  if (err instanceof APIUserAbortError) return false;
  if (err instanceof APIConnectionError) return true;
  if (err instanceof APIError && typeof err.status === 'number') {
    return err.status === 404 || err.status === 408 || err.status === 429 || err.status >= 500;
  }
  return false;
}

/**
 * `call` with each of the prepared models in order until one succeeds: its result, the model
 * that served it and the models tried. A failure not worth another model (worthFallback), or the
 * last model's, is thrown with `attempts` on it.
 */
async function firstServing<T>(
  models: readonly string[],
  call: (model: string) => Promise<T>,
): Promise<{ result: T; servedModel: string; attempts: string[] }> {
  const attempts: string[] = [];
  let lastError: unknown;
  for (const model of models) {
    attempts.push(model);
    try {
      return { result: await call(model), servedModel: model, attempts };
    } catch (err) {
      lastError = err;
      if (!worthFallback(err)) break;
    }
  }
  throw Object.assign(lastError as object, { attempts });
}

/** Non-streaming: the models in order until one answers. */
export async function completeChat(
  prepared: PreparedChat,
  signal: AbortSignal,
): Promise<{ completion: ChatCompletion; servedModel: string; attempts: string[] }> {
  const { result, ...served } = await firstServing(prepared.models, (model) =>
    prepared.upstream.client.chat.completions.create(
      { ...prepared.params, model, stream: false } as ChatCompletionCreateParams & { stream: false },
      { signal },
    ),
  );
  return { completion: result, ...served };
}

/** Streaming: the first model whose stream opens (fallbacks only before the first chunk). */
export async function openChatStream(
  prepared: PreparedChat,
  signal: AbortSignal,
): Promise<{ stream: AsyncIterable<ChatCompletionChunk>; servedModel: string; attempts: string[] }> {
  const streamOptions = { ...(prepared.params.stream_options ?? {}), include_usage: true };
  const { result, ...served } = await firstServing(prepared.models, (model) =>
    prepared.upstream.client.chat.completions.create(
      { ...prepared.params, model, stream: true, stream_options: streamOptions } as ChatCompletionCreateParams & {
        stream: true;
      },
      { signal },
    ),
  );
  return { stream: result, ...served };
}
