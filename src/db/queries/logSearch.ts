/**
 * Log search over llm_requests in raw SQL: always scoped by project, full-text through the
 * generated, stemmed (English + German) `search` tsvector (GIN) with websearch_to_tsquery
 * (quotes and -word work), ordered
 * by time (or latency / risk), never by rank unless asked.
 */
import { Prisma } from '../../generated/prisma/client.js';
import type { PrismaClient } from '../prisma.js';
import type { LogSearchQuery } from '../../validators/logValidators.js';
import { pageArgs, pageOf } from '../../validators/common.js';

/**
 * `total` counts matches up to this many (COLLECT_CAP for full-text searches); beyond it the
 * answer says `totalIsLowerBound: true`.
 */
export const TOTAL_CAP = 10_000;

const SORT_COLUMNS = { createdAt: '"createdAt"', latencyMs: '"latencyMs"', riskScore: '"riskScore"' } as const;

/**
 * List columns: the heavy prompt/response are cut to a preview; GET /logs/:id has them whole.
 * A message stored as its place in the prompt (`contentInPrompt`: byte offset and length in the
 * prompt's UTF-8, services/ingest/messagesInPrompt.ts) is read from there; the prompt's bytes
 * are made once per row (OFFSET 0 keeps the subquery from being folded into each message) and
 * only for a row that has such a message.
 */
const LIST_COLUMNS = Prisma.sql`id, "projectId", "apiKeyId", model, "effectiveModel", endpoint, "endUserId",
  left(prompt, 500) AS prompt, left(response, 500) AS response, "latencyMs", "promptTokens", "completionTokens",
  "totalTokens", status::text AS status, error, "riskScore", "riskLevel"::text AS "riskLevel", "riskFlags",
  decision::text AS decision, "costUsd", "piiRedacted", "createdAt", outcome, "refusalReason",
  (SELECT jsonb_agg(jsonb_build_object('role', m->>'role', 'content', left(CASE WHEN m ? 'contentInPrompt'
       THEN convert_from(substring(p.bytes FROM (m->'contentInPrompt'->>0)::int + 1 FOR (m->'contentInPrompt'->>1)::int), 'UTF8')
       ELSE m->>'content' END, 500)) ORDER BY x.n)
     FROM (SELECT CASE WHEN jsonb_path_exists(messages, '$[*].contentInPrompt') THEN convert_to(prompt, 'UTF8') END AS bytes
           OFFSET 0) AS p,
       jsonb_array_elements(messages) WITH ORDINALITY AS x(m, n)) AS messages`;

/** Timestamps are stored as UTC `timestamp(3)`; compare against UTC whatever the session zone. */
export const utc = (d: Date) => Prisma.sql`(${d.toISOString()}::timestamptz AT TIME ZONE 'UTC')`;

/** Calls with feedback of the kind asked for (the (projectId, requestId) index of llm_feedback). */
function feedbackFilter(kind: 'negative' | 'positive' | 'any'): Prisma.Sql {
  const which =
    kind === 'any'
      ? Prisma.empty
      : kind === 'negative'
        ? Prisma.sql` AND f.negative`
        : Prisma.sql` AND NOT f.negative AND (f.scale = 'thumbs' OR f.score >= 4)`;
  return Prisma.sql`EXISTS (SELECT 1 FROM llm_feedback f
    WHERE f."projectId" = llm_requests."projectId" AND f."requestId" = llm_requests.id${which})`;
}

/**
 * The search column holds every row under the English and the German stemmer (migration
 * chat_messages_refusals_stemmed_search); the query is parsed under both and either may match,
 * so "instruction" finds "instructions" and "Anweisung" finds "Anweisungen", while a quoted
 * phrase still needs its words adjacent and in order.
 */
export const textQuery = (q: string) =>
  Prisma.sql`(websearch_to_tsquery('english', ${q}) || websearch_to_tsquery('german', ${q}))`;

function whereClause(q: LogSearchQuery): Prisma.Sql {
  const parts: Prisma.Sql[] = [Prisma.sql`"projectId" = ${q.projectId}`];
  if (q.q) parts.push(Prisma.sql`search @@ ${textQuery(q.q)}`);
  if (q.model) parts.push(Prisma.sql`model = ${q.model}`);
  if (q.status) parts.push(Prisma.sql`status = ${q.status}::"RequestStatus"`);
  if (q.feedback) parts.push(feedbackFilter(q.feedback));
  if (q.decision) parts.push(Prisma.sql`decision = ${q.decision}::"Decision"`);
  if (q.endpoint) parts.push(Prisma.sql`endpoint = ${q.endpoint}`);
  if (q.userId) parts.push(Prisma.sql`"endUserId" = ${q.userId}`);
  // The partial indexes' predicates, repeated so the planner may use them (rare rows).
  if (q.outcome === 'refused') parts.push(Prisma.sql`outcome <> 'accepted'`);
  if (q.outcome === 'accepted') parts.push(Prisma.sql`outcome = 'accepted'`);
  if (q.flag) parts.push(Prisma.sql`cardinality("riskFlags") > 0 AND "riskFlags" @> ARRAY[${q.flag}]::text[]`);
  if (q.minRisk !== undefined) parts.push(Prisma.sql`"riskScore" >= ${q.minRisk}`);
  if (q.maxRisk !== undefined) parts.push(Prisma.sql`"riskScore" <= ${q.maxRisk}`);
  if (q.from) parts.push(Prisma.sql`"createdAt" >= ${utc(q.from)}`);
  if (q.to) parts.push(Prisma.sql`"createdAt" <= ${utc(q.to)}`);
  return Prisma.join(parts, ' AND ');
}

/**
 * Project and time bounds alone: the lookups by id of a page repeat them, so that they too only
 * visit the month partitions of llm_requests the search covers.
 */
function scopeClause(q: LogSearchQuery): Prisma.Sql {
  const parts: Prisma.Sql[] = [Prisma.sql`"projectId" = ${q.projectId}`];
  if (q.from) parts.push(Prisma.sql`"createdAt" >= ${utc(q.from)}`);
  if (q.to) parts.push(Prisma.sql`"createdAt" <= ${utc(q.to)}`);
  return Prisma.join(parts, ' AND ');
}

/**
 * A full-text search first collects its matches from the search GIN index (project, words and
 * end user), with
 * plain index scans disabled for that one statement: the planner, trusting per-word statistics,
 * would otherwise walk the project's rows newest first re-checking every tsvector, which is what
 * a phrase or an AND of words that rarely co-occur costs (400+ ms on 50k rows). When no more than
 * this many rows match, the page and an exact total come from them; past it the matches are
 * dense and the newest-first walk finds a page within a few hundred rows.
 */
export const COLLECT_CAP = 1_000;

interface Collected {
  id: string;
  s: Date | number;
}

async function collectMatches(prisma: PrismaClient, q: LogSearchQuery): Promise<Collected[] | null> {
  const sortColumn = Prisma.raw(SORT_COLUMNS[q.sort]);
  const [, , rows] = await prisma.$transaction([
    prisma.$executeRaw`SET LOCAL enable_indexscan = off`,
    prisma.$executeRaw`SET LOCAL enable_seqscan = off`,
    prisma.$queryRaw<Collected[]>`
      SELECT id, ${sortColumn} AS s FROM llm_requests WHERE ${whereClause(q)} LIMIT ${COLLECT_CAP + 1}`,
  ]);
  return rows.length > COLLECT_CAP ? null : rows;
}

/** The requested page of collected matches, ordered as the walk orders them (sort column, then id). */
async function pageOfCollected(prisma: PrismaClient, q: LogSearchQuery, matches: Collected[]) {
  const sign = q.order === 'asc' ? 1 : -1;
  const value = (c: Collected) => (c.s instanceof Date ? c.s.getTime() : Number(c.s));
  matches.sort((a, b) => sign * (value(a) - value(b) || (a.id < b.id ? -1 : a.id > b.id ? 1 : 0)));
  const { skip, take } = pageArgs(q);
  const ids = matches.slice(skip, skip + take).map((m) => m.id);
  const direction = q.order === 'asc' ? Prisma.raw('ASC') : Prisma.raw('DESC');
  const rows =
    ids.length === 0
      ? []
      : await prisma.$queryRaw<Record<string, unknown>[]>`
          SELECT ${LIST_COLUMNS} FROM llm_requests WHERE id = ANY(${ids}::text[]) AND ${scopeClause(q)}
          ORDER BY ${Prisma.raw(SORT_COLUMNS[q.sort])} ${direction}, id ${direction}`;
  return pageOf(rows, q, matches.length);
}

export async function searchLogs(prisma: PrismaClient, q: LogSearchQuery) {
  let cap = TOTAL_CAP;
  if (q.q) {
    const matches = await collectMatches(prisma, q);
    if (matches) return pageOfCollected(prisma, q, matches);
    cap = COLLECT_CAP; // more than COLLECT_CAP matches: known without counting further
  }
  const where = whereClause(q);
  const direction = q.order === 'asc' ? Prisma.raw('ASC') : Prisma.raw('DESC');
  const orderBy = Prisma.raw(SORT_COLUMNS[q.sort]);
  const { skip: offset } = pageArgs(q);
  const [rows, counted] = await Promise.all([
    // The offset is skipped over ids alone (index-only on the time index), then the page's rows are read.
    prisma.$queryRaw<Record<string, unknown>[]>`
      SELECT ${LIST_COLUMNS} FROM llm_requests WHERE id IN (
        SELECT id FROM llm_requests WHERE ${where}
        ORDER BY ${orderBy} ${direction}, id ${direction} LIMIT ${q.limit} OFFSET ${offset}) AND ${scopeClause(q)}
      ORDER BY ${orderBy} ${direction}, id ${direction}`,
    cap === COLLECT_CAP
      ? Promise.resolve(COLLECT_CAP + 1)
      : // Counting every match of a broad search over millions of rows costs more than the page
        // itself: count up to TOTAL_CAP and say when the real total is larger.
        prisma.$queryRaw<{ total: bigint }[]>`
          SELECT count(*) AS total FROM (SELECT 1 FROM llm_requests WHERE ${where} LIMIT ${TOTAL_CAP + 1}) AS capped`.then(
          (r) => Number(r[0]?.total ?? 0),
        ),
  ]);
  const totalIsLowerBound = counted > cap;
  return {
    data: rows,
    page: q.page,
    limit: q.limit,
    total: totalIsLowerBound ? cap : counted,
    ...(totalIsLowerBound ? { totalIsLowerBound: true } : {}),
  };
}
