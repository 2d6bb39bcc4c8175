-- Hand-written: Prisma's schema cannot describe a function.
-- One call commits a whole ingestion batch: the plan quota of every owner in the batch is
-- counted (rows locked in a fixed order, so concurrent batches cannot deadlock) and only the
-- rows that fit under their owner's limit are inserted, in the same transaction. A stored row
-- is therefore always a counted row and no counted row is ever lost.
-- Returns the ids refused because their owner's limit is used up.
CREATE OR REPLACE FUNCTION llmguard_ingest_batch(p_rows json, p_counters json)
RETURNS SETOF text
LANGUAGE plpgsql
AS $fn$
DECLARE
  c record;
  used bigint;
  granted bigint;
  refused text[] := '{}';
BEGIN
  FOR c IN
    SELECT x."userId", x."periodStart", x."limit", x.ids
    FROM json_to_recordset(p_counters) AS x("userId" text, "periodStart" timestamp(3), "limit" bigint, ids text[])
    ORDER BY x."userId", x."periodStart"
  LOOP
    INSERT INTO usage_counters ("userId", "periodStart", requests, "updatedAt")
    VALUES (c."userId", c."periodStart", 0, now())
    ON CONFLICT ("userId", "periodStart") DO NOTHING;
    SELECT u.requests INTO used FROM usage_counters u
    WHERE u."userId" = c."userId" AND u."periodStart" = c."periodStart"
    FOR UPDATE;
    granted := LEAST(cardinality(c.ids), GREATEST(c."limit" - used, 0));
    IF granted > 0 THEN
      UPDATE usage_counters u SET requests = u.requests + granted, "updatedAt" = now()
      WHERE u."userId" = c."userId" AND u."periodStart" = c."periodStart";
    END IF;
    IF granted < cardinality(c.ids) THEN
      refused := refused || c.ids[granted + 1:];
    END IF;
  END LOOP;

  INSERT INTO llm_requests ("id", "projectId", "apiKeyId", "model", "effectiveModel", "endpoint", "endUserId",
    "prompt", "response", "systemPrompt", "latencyMs", "promptTokens", "completionTokens", "totalTokens", "status",
    "error", "metadata", "riskScore", "riskLevel", "riskFlags", "decision", "costUsd", "piiRedacted", "createdAt")
  SELECT r."id", r."projectId", r."apiKeyId", r."model", r."effectiveModel", r."endpoint", r."endUserId",
    r."prompt", r."response", r."systemPrompt", r."latencyMs", r."promptTokens", r."completionTokens",
    r."totalTokens", r."status"::"RequestStatus", r."error", r."metadata", r."riskScore",
    r."riskLevel"::"RiskLevel", r."riskFlags", r."decision"::"Decision", r."costUsd", r."piiRedacted", r."createdAt"
  FROM json_to_recordset(p_rows) AS r(
    "id" text, "projectId" text, "apiKeyId" text, "model" text, "effectiveModel" text, "endpoint" text,
    "endUserId" text, "prompt" text, "response" text, "systemPrompt" text, "latencyMs" int,
    "promptTokens" int, "completionTokens" int, "totalTokens" int, "status" text, "error" text,
    "metadata" jsonb, "riskScore" int, "riskLevel" text, "riskFlags" text[], "decision" text,
    "costUsd" double precision, "piiRedacted" boolean, "createdAt" timestamp(3))
  WHERE NOT (r."id" = ANY (refused));

  RETURN QUERY SELECT unnest(refused);
END
$fn$;
