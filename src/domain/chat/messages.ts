/**
 * OpenAI's chat messages as text (pure): what the gateway scores and forwards, and what
 * POST /llm/request stores when an app reports `messages` instead of a `prompt`. A message's
 * content is a string, an array of parts (the text of `{ type: 'text', text }` parts counts,
 * images and audio do not) or null (an assistant message that only calls tools).
 */

/** A chat message as sent (OpenAI's shape; other fields such as tool_calls ride along). */
export type ChatMessage = { role: string; content?: unknown; name?: unknown; [k: string]: unknown };

/** A message as stored on the row and shown by GET /logs/:id: its role and its text. */
export interface StoredMessage {
  role: string;
  content: string;
  name?: string;
}

/** Roles whose text is the application's own instructions (not scored as an injection). */
export const INSTRUCTION_ROLES: ReadonlySet<string> = new Set(['system', 'developer']);

export const isInstructionRole = (role: string): boolean => INSTRUCTION_ROLES.has(role);

/** The text of a message's content (a string or text parts). */
export function contentText(content: unknown): string {
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

/** What the gateway scores as one prompt: every non-system message's text, in order. */
export function promptOf(messages: readonly { role: string; content?: unknown }[]): string {
  return messages
    .filter((m) => !isInstructionRole(m.role))
    .map((m) => contentText(m.content))
    .filter(Boolean)
    .join('\n\n');
}

/** The messages with their content flattened to text (what is stored). */
export function storedMessages(messages: readonly ChatMessage[]): StoredMessage[] {
  return messages.map((m) => ({
    role: m.role,
    content: contentText(m.content),
    ...(typeof m.name === 'string' ? { name: m.name } : {}),
  }));
}

/**
 * The whole conversation as one text, one `role: text` paragraph per message with text: the
 * `prompt` column of a call reported with messages (full-text search and older clients read it).
 */
export function transcriptOf(messages: readonly StoredMessage[]): string {
  return messages
    .filter((m) => m.content !== '')
    .map((m) => `${m.role}: ${m.content}`)
    .join('\n\n');
}
