-- Hand-written (issue 24): a batch's large texts travel as parameters of their own, not inside its JSON.
--
-- The batch function took every row as one JSON parameter. For a chat call of 3 MB (2 MB of
-- messages, their 2 MB transcript in "prompt", a 1 MB response) that is a 6 MB JSON text which
-- PostgreSQL lexes whole (json_to_recordset), then lexes the messages again for jsonb. A text
-- parameter is only checked for its encoding. Measured on one connection, the row above stored
-- from one JSON parameter took 175-190 ms, from text parameters 100-126 ms (PostgreSQL 15).
--
-- Now the server sends, for a batch of megabytes, each large text (over 64 KiB) as an element of
-- a VARIADIC text array, and the row's JSON names it by its 1-based position: "promptAt",
-- "responseAt", "systemPromptAt", "messagesAt" (the messages' JSON, cast to jsonb here). A field
-- without its "At" is read from the JSON as before. Ordinary batches call this form with no texts
-- (VARIADIC '{}'). The two-argument function stays for a server of the previous version during an
-- upgrade: it calls this one with no texts.
-- (No semicolons inside comments: the migration runner splits statements on them.)

CREATE OR REPLACE FUNCTION llmguard_ingest_batch(p_rows json, p_counters json, VARIADIC p_texts text[])
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
    "error", "metadata", "riskScore", "riskLevel", "riskFlags", "decision", "costUsd", "piiRedacted", "configVersion", "createdAt",
    "messages", "outcome", "refusalReason")
  SELECT r."id", r."projectId", r."apiKeyId", r."model", r."effectiveModel", r."endpoint", r."endUserId",
    coalesce(p_texts[r."promptAt"], r."prompt"), coalesce(p_texts[r."responseAt"], r."response"),
    coalesce(p_texts[r."systemPromptAt"], r."systemPrompt"), r."latencyMs", r."promptTokens", r."completionTokens",
    r."totalTokens", r."status"::"RequestStatus", r."error", r."metadata", r."riskScore",
    r."riskLevel"::"RiskLevel", r."riskFlags", r."decision"::"Decision", r."costUsd", r."piiRedacted", r."configVersion", r."createdAt",
    coalesce(p_texts[r."messagesAt"]::jsonb, r."messages"), coalesce(r."outcome", 'accepted'), r."refusalReason"
  FROM json_to_recordset(p_rows) AS r(
    "id" text, "projectId" text, "apiKeyId" text, "model" text, "effectiveModel" text, "endpoint" text,
    "endUserId" text, "prompt" text, "response" text, "systemPrompt" text, "latencyMs" int,
    "promptTokens" int, "completionTokens" int, "totalTokens" int, "status" text, "error" text,
    "metadata" jsonb, "riskScore" int, "riskLevel" text, "riskFlags" text[], "decision" text,
    "costUsd" double precision, "piiRedacted" boolean, "configVersion" int, "createdAt" timestamp(3),
    "messages" jsonb, "outcome" text, "refusalReason" text,
    "promptAt" int, "responseAt" int, "systemPromptAt" int, "messagesAt" int)
  WHERE NOT (r."id" = ANY (refused));

  RETURN QUERY SELECT unnest(refused);
END
$fn$;

CREATE OR REPLACE FUNCTION llmguard_ingest_batch(p_rows json, p_counters json)
RETURNS SETOF text
LANGUAGE sql
AS $fn$
  SELECT llmguard_ingest_batch(p_rows, p_counters, VARIADIC '{}'::text[])
$fn$;
