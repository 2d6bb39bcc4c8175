/**
 * A chat call's messages stored once. The row of a call reported with `messages` holds them in
 * the `messages` column (jsonb) and their transcript in `prompt` (text: search and older clients
 * read it), so each message's text was stored twice. For a call of megabytes the `jsonb` copy
 * is the dear one: the embedded PostgreSQL 18 stored a row of one 2.3 MB message with its
 * transcript and a 1.1 MB response in 131 ms (median of twelve, least 117), the same row
 * without the `messages` value in 39 (least 21), on one connection in a loop.
 *
 * So a large batch's row (the writer's batchInPieces) stores each message's text as a place in
 * its `prompt`, when `prompt` is exactly their transcript (transcriptOf in domain/chat/messages.ts):
 * `{ "role": "user", "contentInPrompt": [offset, length] }`, the offset and length in bytes of
 * the prompt's UTF-8. A message without text keeps `"content": ""`. Readers turn such an entry
 * back into its text: GET /logs/:id here (messagesFromPrompt), the log list's previews in SQL
 * (db/queries/logSearch.ts). Rows whose messages are small, or whose prompt is not their
 * transcript (the gateway stores the text it scored), keep the messages whole.
 */
import type { StoredMessage } from '../../domain/chat/messages.js';

/** A message whose text is a part of the row's prompt: [byte offset, byte length] in its UTF-8. */
export interface MessageInPrompt {
  role: string;
  name?: string;
  contentInPrompt: [number, number];
}

export const CONTENT_IN_PROMPT = 'contentInPrompt';

/** The transcript's separator between two messages and between a role and its text (transcriptOf). */
const BETWEEN_MESSAGES = '\n\n';
const AFTER_ROLE = ': ';

/**
 * `messages` with each text replaced by its place in `prompt`, or null when `prompt` is not
 * their transcript (then they are stored whole). Checked on the strings themselves, without
 * building the transcript again: its length, then each part where it must be.
 */
export function referToPrompt(
  prompt: string,
  messages: readonly StoredMessage[],
): (MessageInPrompt | StoredMessage)[] | null {
  const out: (MessageInPrompt | StoredMessage)[] = [];
  let at = 0; // UTF-16 position in prompt
  let byte = 0; // UTF-8 offset of the same position
  let first = true;
  for (const m of messages) {
    const name = m.name === undefined ? {} : { name: m.name };
    if (m.content === '') {
      out.push({ role: m.role, content: '', ...name });
      continue;
    }
    const head = `${first ? '' : BETWEEN_MESSAGES}${m.role}${AFTER_ROLE}`;
    first = false;
    if (!prompt.startsWith(head, at) || !prompt.startsWith(m.content, at + head.length)) return null;
    at += head.length;
    byte += Buffer.byteLength(head);
    const length = Buffer.byteLength(m.content);
    out.push({ role: m.role, ...name, contentInPrompt: [byte, length] });
    at += m.content.length;
    byte += length;
  }
  return at === prompt.length ? out : null;
}

const isInPrompt = (m: unknown): m is MessageInPrompt =>
  typeof m === 'object' && m !== null && Array.isArray((m as Record<string, unknown>)[CONTENT_IN_PROMPT]);

/**
 * The messages of a stored row as they were reported: entries stored as a place in the prompt
 * (referToPrompt) given their text back; anything else (whole messages, null) as it is.
 */
export function messagesFromPrompt(messages: unknown, prompt: string): unknown {
  if (!Array.isArray(messages) || !messages.some(isInPrompt)) return messages;
  const bytes = Buffer.from(prompt, 'utf8');
  return messages.map((m: unknown) => {
    if (!isInPrompt(m)) return m;
    const {
      contentInPrompt: [offset, length],
      ...rest
    } = m;
    const content = bytes.toString('utf8', offset, offset + length);
    return rest.name === undefined ? { role: rest.role, content } : { role: rest.role, content, name: rest.name };
  });
}
