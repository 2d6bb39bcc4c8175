/**
 * Log search over llm_requests in raw SQL: always scoped by project, full-text through the
 * generated `search` tsvector (GIN) with websearch_to_tsquery (quotes and -word work), ordered
 * by time (or latency / risk), never by rank unless asked.
 */
import { Prisma } from '../../generated/prisma/client.js';
import type { PrismaClient } from '../prisma.js';
import type { LogSearchQuery } from '../../validators/logValidators.js';

/** `total` counts matches up to this many; beyond it the answer says `totalIsLowerBound: true`. */
export const TOTAL_CAP = 10_000;

const SORT_COLUMNS = { createdAt: '"createdAt"', latencyMs: '"latencyMs"', riskScore: '"riskScore"' } as const;

/** List columns: the heavy prompt/response are cut to a preview; GET /logs/:id has them whole. */
const LIST_COLUMNS = Prisma.sql`id, "projectId", "apiKeyId", model, "effectiveModel", endpoint, "endUserId",
  left(prompt, 500) AS prompt, left(response, 500) AS response, "latencyMs", "promptTokens", "completionTokens",
  "totalTokens", status::text AS status, error, "riskScore", "riskLevel"::text AS "riskLevel", "riskFlags",
  decision::text AS decision, "costUsd", "piiRedacted", "createdAt"`;

/** Timestamps are stored as UTC `timestamp(3)`; compare against UTC whatever the session zone. */
export const utc = (d: Date) => Prisma.sql`(${d.toISOString()}::timestamptz AT TIME ZONE 'UTC')`;

function whereClause(q: LogSearchQuery): Prisma.Sql {
  const parts: Prisma.Sql[] = [Prisma.sql`"projectId" = ${q.projectId}`];
  if (q.q) parts.push(Prisma.sql`search @@ websearch_to_tsquery('simple', ${q.q})`);
  if (q.model) parts.push(Prisma.sql`model = ${q.model}`);
  if (q.status) parts.push(Prisma.sql`status = ${q.status}::"RequestStatus"`);
  if (q.minRisk !== undefined) parts.push(Prisma.sql`"riskScore" >= ${q.minRisk}`);
  if (q.maxRisk !== undefined) parts.push(Prisma.sql`"riskScore" <= ${q.maxRisk}`);
  if (q.from) parts.push(Prisma.sql`"createdAt" >= ${utc(q.from)}`);
  if (q.to) parts.push(Prisma.sql`"createdAt" <= ${utc(q.to)}`);
  return Prisma.join(parts, ' AND ');
}

export async function searchLogs(prisma: PrismaClient, q: LogSearchQuery) {
  const where = whereClause(q);
  const direction = q.order === 'asc' ? Prisma.raw('ASC') : Prisma.raw('DESC');
  const orderBy = Prisma.raw(SORT_COLUMNS[q.sort]);
  const offset = (q.page - 1) * q.limit;
  const [rows, countRows] = await Promise.all([
    prisma.$queryRaw<Record<string, unknown>[]>`
      SELECT ${LIST_COLUMNS} FROM llm_requests WHERE ${where}
      ORDER BY ${orderBy} ${direction}, id ${direction} LIMIT ${q.limit} OFFSET ${offset}`,
    // Counting every match of a broad search over millions of rows costs more than the page
    // itself: count up to TOTAL_CAP and say when the real total is larger.
    prisma.$queryRaw<{ total: bigint }[]>`
      SELECT count(*) AS total FROM (SELECT 1 FROM llm_requests WHERE ${where} LIMIT ${TOTAL_CAP + 1}) AS capped`,
  ]);
  const counted = Number(countRows[0]?.total ?? 0);
  const totalIsLowerBound = counted > TOTAL_CAP;
  return {
    data: rows,
    page: q.page,
    limit: q.limit,
    total: totalIsLowerBound ? TOTAL_CAP : counted,
    ...(totalIsLowerBound ? { totalIsLowerBound: true } : {}),
  };
}
