/**
 * The /v1 bodies, checked only as far as the gateway relies on them (OpenAI's API accepts
 * many more fields: they are passed upstream as they are).
 */
import { z } from 'zod';

const message = z.looseObject({
  role: z.string().min(1).max(64),
  content: z.union([z.string(), z.array(z.looseObject({ type: z.string() })), z.null()]).optional(),
});

export const chatCompletionBody = z.looseObject({
  model: z.string().trim().min(1).max(200),
  messages: z.array(message).min(1).max(10_000),
  stream: z.boolean().nullable().optional(),
  stream_options: z.looseObject({ include_usage: z.boolean().nullable().optional() }).nullable().optional(),
  /** the end user: what rate_limit_user remediations match */
  user: z.string().trim().min(1).max(200).optional(),
});
z.globalRegistry.add(chatCompletionBody, {
  examples: [{ model: 'gpt-4o-mini', messages: [{ role: 'user', content: 'Hello!' }], user: 'end-user-42' }],
});

export const embeddingsBody = z.looseObject({
  model: z.string().trim().min(1).max(200),
  input: z.union([z.string(), z.array(z.string()), z.array(z.number()), z.array(z.array(z.number()))]),
  user: z.string().trim().min(1).max(200).optional(),
});
z.globalRegistry.add(embeddingsBody, {
  examples: [{ model: 'text-embedding-3-small', input: 'The food was delicious.' }],
});
