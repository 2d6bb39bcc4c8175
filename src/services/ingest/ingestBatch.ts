/**
 * One batch of LLM request rows on its way to PostgreSQL: the row's shape, the statement that
 * stores a batch, the JSON it travels as, and how a refused row is answered (ingestWriter.ts
 * decides when a batch goes; this is what it sends).
 */
import { postgresErrorCode } from '../../db/pgErrors.js';
import { pause } from '../../domain/slices.js';
import { PIECE_CHARS, PiecewiseQuery, type PiecewiseResult } from '../../db/piecewiseQuery.js';
import type { PrismaClient } from '../../db/prisma.js';
import { AppError } from '../../utils/AppError.js';
import { referToPrompt } from './messagesInPrompt.js';
import type { Decision, RiskLevel } from '../../types/vocabulary.js';

export interface LlmRequestRow {
  id: string;
  projectId: string;
  apiKeyId: string | null;
  model: string;
  effectiveModel: string;
  endpoint: string | null;
  endUserId: string | null;
  prompt: string;
  response: string | null;
  systemPrompt: string | null;
  latencyMs: number;
  promptTokens: number | null;
  completionTokens: number | null;
  totalTokens: number | null;
  status: 'success' | 'error';
  error: string | null;
  metadata: unknown;
  riskScore: number;
  riskLevel: RiskLevel;
  riskFlags: string[];
  decision: Decision;
  costUsd: number | null;
  piiRedacted: boolean;
  /** the project's config version the call was answered with */
  configVersion?: number | null;
  createdAt: Date;
  /** the chat messages as reported ([{ role, content, name? }]), null for a plain prompt */
  messages?: { role: string; content: string; name?: string }[] | null;
  /** `refused`: a remediation refused the call (stored outside the plan quota) */
  outcome?: 'accepted' | 'refused';
  refusalReason?: string | null;
}

/** Runs one statement in autocommit mode; resolves with its rows once it is committed. */
export type SqlExecutor = (sql: string, params: unknown[]) => Promise<{ rows: Record<string, unknown>[] }>;

/**
 * The hot path bypasses Prisma's query layer (measured ~5 ms per 30-row batch) with a pg pool.
 * Each distinct statement is a named prepared statement, parsed and planned once per
 * connection (measured: 40-70 µs less per batch call). A statement with a text parameter of
 * more than PIECE_CHARS characters (a batch of megabytes, batchInPieces) is sent in pieces
 * instead (db/piecewiseQuery.ts), as an unnamed statement.
 */
export function poolExecutor(pool: {
  query(query: { name: string; text: string; values: unknown[] }): Promise<{ rows: Record<string, unknown>[] }>;
  query(query: PiecewiseQuery): Promise<PiecewiseResult> | PiecewiseQuery;
}): SqlExecutor {
  const names = new Map<string, string>();
  return (sql, params) => {
    if (params.some((p) => typeof p === 'string' && p.length > PIECE_CHARS) && params.every(isTextOrNull)) {
      // Its pieces take their turns with all other sliced work (pause: one per turn). pg-pool
      // answers a Submittable with a promise (the type says otherwise: it is the client's).
      return pool.query(new PiecewiseQuery(sql, params, { pause })) as Promise<PiecewiseResult>;
    }
    let name = names.get(sql);
    if (name === undefined) {
      name = `llmguard_ingest_${names.size + 1}`;
      names.set(sql, name);
    }
    return pool.query({ name, text: sql, values: params });
  };
}

const isTextOrNull = (p: unknown): p is string | null => typeof p === 'string' || p === null;

export function prismaExecutor(prisma: PrismaClient): SqlExecutor {
  return async (sql, params) => ({ rows: await prisma.$queryRawUnsafe<Record<string, unknown>[]>(sql, ...params) });
}

/**
 * One call per batch (migration `ingest_batch_function`): counts every owner's quota and inserts
 * the rows that fit, in one transaction and one round trip. The rows travel as one JSON
 * parameter; the second lists, per quota counter, the ids in arrival order. Returns the ids
 * refused because their counter is full. The function's VARIADIC form with no texts (batchSql),
 * called directly: its two-argument form only wraps it.
 */
export const BATCH_SQL =
  "SELECT llmguard_ingest_batch AS id FROM llmguard_ingest_batch($1::json, $2::json, VARIADIC '{}'::text[])";

/**
 * What a fresh backend loads for its first batch, loaded without writing anything: the batch
 * function compiled (an empty batch inserts and counts nothing) and the English and German text
 * search dictionaries of the search column read (services/requestWarmup.ts).
 */
export const BATCH_WARMUP_SQL = [
  "SELECT llmguard_ingest_batch AS id FROM llmguard_ingest_batch('[]'::json, '[]'::json, VARIADIC '{}'::text[])",
  // an English text and a German one: the function stems German only when the text shows it
  "SELECT llmguard_search_vector('Warm-up of the search dictionaries', NULL), llmguard_search_vector(NULL, 'Aufwärmen der Wörterbücher')",
] as const;

/**
 * PostgreSQL text and jsonb accept neither NUL characters nor lone UTF-16 surrogates; one such
 * string would fail the whole batch, so they are replaced by U+FFFD before the insert.
 */
function storableString(_key: string, value: unknown): unknown {
  return typeof value === 'string' ? value.toWellFormed().replaceAll('\u0000', '\uFFFD') : value;
}

/**
 * JSON.stringify writes a NUL as `\u0000` and a lone surrogate as `\udNNN`, and nothing else
 * produces those escapes except text that itself contains a backslash before "u0000" or
 * "udNNN" (an escaped backslash); so a batch without them is stored as it is.
 */
const UNSTORABLE_ESCAPE = /\\u(?:0000|d[89a-f])/;

/**
 * The rows as one JSON text PostgreSQL accepts. A replacer function makes JSON.stringify call
 * back into JavaScript for every value (a tenth of the writer's CPU), so it only runs for the
 * rare batch that needs it.
 */
export function batchJson(rows: readonly LlmRequestRow[]): string {
  return storableJson(rows)!;
}

/** `value` as JSON PostgreSQL accepts (see batchJson); undefined for undefined. */
function storableJson(value: unknown): string | undefined {
  const json = JSON.stringify(value);
  return json !== undefined && UNSTORABLE_ESCAPE.test(json) ? JSON.stringify(value, storableString) : json;
}

/** The characters of a value among a row's large fields (a text or chat messages). */
function largeFieldLength(value: LlmRequestRow[LargeField]): number {
  if (typeof value === 'string') return value.length;
  let n = 0;
  for (const m of value ?? []) n += m.content.length;
  return n;
}

/** A row's fields that may hold megabytes of text. */
const LARGE_FIELDS = ['prompt', 'response', 'systemPrompt', 'messages'] as const;
type LargeField = (typeof LARGE_FIELDS)[number];

/**
 * Whether JSON.stringify writes `value` (a row's text or its chat messages) as PostgreSQL accepts
 * it, checked on the strings themselves: well-formed (no lone surrogate) and without NUL. Checking
 * the JSON instead made V8 flatten each freshly stringified megabyte into a copy of its own.
 */
function storableAsIs(value: LlmRequestRow[LargeField]): boolean {
  const ok = (s: unknown) => typeof s !== 'string' || (s.isWellFormed() && !s.includes('\u0000'));
  if (typeof value === 'string') return ok(value);
  for (const m of value ?? []) {
    if (typeof m !== 'object' || m === null) return false;
    for (const v of Object.values(m)) if (typeof v === 'object' || !ok(v)) return false;
  }
  return true;
}

/** Batches with more text than this (characters) send their large texts as parameters (batchInPieces). */
export const LARGE_BATCH_CHARS = 64 * 1024;

/**
 * The statement that stores `rows` with the quota `counters` (their JSON), and its parameters:
 * an ordinary batch as one JSON text (batchJson); a batch of megabytes with each large text a
 * parameter of its own, each prepared after a `pause()` (batchInPieces), so several large calls
 * finishing together do not hold other requests.
 */
export async function batchStatement(
  rows: readonly LlmRequestRow[],
  counters: string,
  pause: () => Promise<void>,
): Promise<{ sql: string; params: string[] }> {
  let chars = 0;
  for (const row of rows) chars += textLength(row);
  if (chars <= LARGE_BATCH_CHARS) return { sql: BATCH_SQL, params: [batchJson(rows), counters] };
  const { json, texts } = await batchInPieces(rows, pause, LARGE_BATCH_CHARS);
  return { sql: batchSql(texts.length), params: [json, counters, ...texts] };
}

/**
 * The statement storing a batch whose large texts (see batchInPieces) travel as `texts` text
 * parameters after the rows' JSON and the counters: the batch function's VARIADIC form
 * (migration `ingest_batch_texts_as_parameters`). BATCH_SQL for none.
 */
export function batchSql(texts: number): string {
  if (texts === 0) return BATCH_SQL;
  const params = Array.from({ length: texts }, (_, i) => `$${i + 3}::text`).join(', ');
  return `SELECT llmguard_ingest_batch AS id FROM llmguard_ingest_batch($1::json, $2::json, ${params})`;
}

/** `value`, a row's text or its chat messages, as a text parameter PostgreSQL accepts. */
function storableText(value: string | NonNullable<LlmRequestRow['messages']>): string {
  if (typeof value !== 'string') return storableAsIs(value) ? JSON.stringify(value) : storableJson(value)!;
  return storableAsIs(value) ? value : (storableString('', value) as string);
}

/**
 * A batch of megabytes as the statement's parameters (batchSql): each text of a row over
 * `pieceChars` characters (prompt, response, system prompt, or the messages as JSON) becomes a
 * text parameter of its own, which PostgreSQL only checks for its encoding, and the row's JSON
 * names it by its 1-based position (`"promptAt": 1`); the rest of each row is JSON as batchJson
 * writes it. Before 2026-12-06 the texts were inside the JSON: for a 3 MB chat call a 6 MB JSON
 * text that PostgreSQL lexed whole, and the messages twice (for jsonb), and that this thread
 * built piece by piece first. `pause()` is awaited before each such text. NULs and lone
 * surrogates are replaced as batchJson replaces them. Chat messages of more than `pieceChars`
 * whose transcript is the row's prompt are stored as places in it, not as texts
 * (messagesInPrompt.ts).
 */
export async function batchInPieces(
  rows: readonly LlmRequestRow[],
  pause: () => Promise<void>,
  pieceChars: number,
): Promise<{ json: string; texts: string[] }> {
  const texts: string[] = [];
  const shaped: Record<string, unknown>[] = [];
  for (const row of rows) {
    const out: Record<string, unknown> = { ...row };
    // A chat call's messages of megabytes: each text stored once, as its place in the prompt
    // (their transcript), when the texts are stored as they are (messagesInPrompt.ts).
    const { messages } = row;
    let inPrompt: unknown[] | null = null;
    if (messages && largeFieldLength(messages) > pieceChars && storableAsIs(messages) && storableAsIs(row.prompt)) {
      await pause();
      inPrompt = referToPrompt(row.prompt, messages);
    }
    for (const key of LARGE_FIELDS) {
      if (key === 'messages' && inPrompt) {
        out.messages = inPrompt;
        continue;
      }
      const value = row[key];
      if (value === undefined || value === null || largeFieldLength(value) <= pieceChars) continue;
      await pause();
      texts.push(storableText(value));
      delete out[key];
      out[`${key}At`] = texts.length;
    }
    shaped.push(out);
  }
  return { json: storableJson(shaped)!, texts };
}

/**
 * The error for a row the database refused on its own: its data (SQLSTATE class 22, 23) is a
 * 400; anything else a 500. Neither carries Retry-After: sending the same row again fails again.
 */
export function rowRefusal(err: unknown): AppError {
  const code = postgresErrorCode(err);
  if (code && /^2[23]/.test(code)) {
    return new AppError('VALIDATION_ERROR', 'The database refused a value of this request', {
      details: [{ path: 'body', message: 'a value is outside what can be stored', code: `sqlstate_${code}` }],
      cause: err,
    });
  }
  return new AppError('INTERNAL_ERROR', 'Could not store the request', { cause: err });
}

/** The characters of a row's texts (prompt, response, system prompt, messages). */
export function textLength(row: LlmRequestRow): number {
  let n = 0;
  for (const key of LARGE_FIELDS) n += largeFieldLength(row[key]);
  return n;
}
