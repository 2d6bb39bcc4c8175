/**
 * The /v1 bodies, checked only as far as the gateway relies on them (OpenAI's API accepts
 * many more fields: they are passed upstream as they are).
 */
import { z } from 'zod';

const message = z.looseObject({
  role: z
    .string()
    .min(1)
    .max(64)
    .describe(
      '`system`, `developer`, `user`, `assistant` or `tool`; system and developer text is not scored as an injection.',
    ),
  content: z
    .union([
      z.string(),
      z.array(z.looseObject({ type: z.string().describe('Part type, e.g. `text` or `image_url`.') })),
      z.null(),
    ])
    .optional()
    .describe('The text, or OpenAI content parts (the text of `text` parts is scored).'),
});

/** The end user of a gateway call (`user`): what rate_limit_user remediations match. */
const endUser = z.string().trim().min(1).max(200).optional();

export const chatCompletionBody = z.looseObject({
  model: z
    .string()
    .trim()
    .min(1)
    .max(200)
    .describe("The model asked for; the project's policy may serve another (switch_model, allowedModels)."),
  messages: z.array(message).min(1).max(10_000).describe("OpenAI's chat messages; other fields ride along upstream."),
  stream: z.boolean().nullable().optional().describe('Stream the answer as server-sent events.'),
  stream_options: z
    .looseObject({
      include_usage: z.boolean().nullable().optional().describe('Send the token usage in the last chunk.'),
    })
    .nullable()
    .optional()
    .describe("OpenAI's stream options."),
  /** the end user: what rate_limit_user remediations match */
  user: endUser.describe('Your id of the end user: what rate_limit_user remediations match, stored as `endUserId`.'),
});
z.globalRegistry.add(chatCompletionBody, {
  examples: [{ model: 'gpt-4o-mini', messages: [{ role: 'user', content: 'Hello!' }], user: 'end-user-42' }],
});

export const embeddingsBody = z.looseObject({
  model: z.string().trim().min(1).max(200).describe('The embedding model, e.g. `text-embedding-3-small`.'),
  input: z
    .union([z.string(), z.array(z.string()), z.array(z.number()), z.array(z.array(z.number()))])
    .describe('Text (or texts, or token arrays) to embed, passed to the provider as is.'),
  user: endUser.describe('Your id of the end user: what rate_limit_user remediations match; passed upstream.'),
});
z.globalRegistry.add(embeddingsBody, {
  examples: [{ model: 'text-embedding-3-small', input: 'The food was delicious.' }],
});
