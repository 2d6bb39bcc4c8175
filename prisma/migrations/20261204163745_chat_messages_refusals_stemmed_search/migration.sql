-- Hand-written (issue 19): chat messages with their roles, refused calls kept with their reason,
-- and log search stemmed in English and German.
-- (No semicolons inside comments: the migration runner splits statements on them.)

-- messages: the OpenAI chat shape as sent ([{ role, content, name? }], content flattened to text),
-- null for calls reported with a plain prompt. outcome: accepted, or refused by a remediation
-- (refusalReason endpoint_disabled or user_rate_limited). Refused rows are not counted against
-- the plan quota.
ALTER TABLE "llm_requests"
  ADD COLUMN "messages" JSONB,
  ADD COLUMN "outcome" TEXT NOT NULL DEFAULT 'accepted',
  ADD COLUMN "refusalReason" TEXT;

-- Stemmed search: every row is indexed under both the English and the German Snowball stemmer
-- (the traffic is both), so "instruction" finds "instructions" and "Anweisung" finds
-- "Anweisungen". A query is parsed under both configurations and either may match. Phrases
-- ("...") keep their word order and adjacency (each configuration's positions stay its own).
-- Inputs stay capped so a 1 MB prompt cannot exceed tsvector's size limit.
ALTER TABLE "llm_requests" DROP COLUMN "search";

ALTER TABLE "llm_requests"
  ADD COLUMN "search" tsvector GENERATED ALWAYS AS (
    to_tsvector('english'::regconfig, left(coalesce("prompt", ''), 200000) || ' ' || left(coalesce("response", ''), 200000))
    || to_tsvector('german'::regconfig, left(coalesce("prompt", ''), 200000) || ' ' || left(coalesce("response", ''), 200000))
  ) STORED;

CREATE INDEX "llm_requests_search_idx" ON "llm_requests" USING GIN ("projectId", "search");

-- Only the few flagged rows enter this index (queries repeat the predicate so the planner can use it).
CREATE INDEX "llm_requests_flags_idx" ON "llm_requests" USING GIN ("projectId", "riskFlags")
  WHERE cardinality("riskFlags") > 0;

-- Refused rows are rare: /logs?outcome=refused and the refusal counts of /metrics read them here.
CREATE INDEX "llm_requests_refused_idx" ON "llm_requests" ("projectId", "createdAt")
  WHERE "outcome" <> 'accepted';

-- The batch insert takes the new columns (see 20261204161426_config_versions_and_flags).
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
    "error", "metadata", "riskScore", "riskLevel", "riskFlags", "decision", "costUsd", "piiRedacted", "configVersion", "createdAt",
    "messages", "outcome", "refusalReason")
  SELECT r."id", r."projectId", r."apiKeyId", r."model", r."effectiveModel", r."endpoint", r."endUserId",
    r."prompt", r."response", r."systemPrompt", r."latencyMs", r."promptTokens", r."completionTokens",
    r."totalTokens", r."status"::"RequestStatus", r."error", r."metadata", r."riskScore",
    r."riskLevel"::"RiskLevel", r."riskFlags", r."decision"::"Decision", r."costUsd", r."piiRedacted", r."configVersion", r."createdAt",
    r."messages", coalesce(r."outcome", 'accepted'), r."refusalReason"
  FROM json_to_recordset(p_rows) AS r(
    "id" text, "projectId" text, "apiKeyId" text, "model" text, "effectiveModel" text, "endpoint" text,
    "endUserId" text, "prompt" text, "response" text, "systemPrompt" text, "latencyMs" int,
    "promptTokens" int, "completionTokens" int, "totalTokens" int, "status" text, "error" text,
    "metadata" jsonb, "riskScore" int, "riskLevel" text, "riskFlags" text[], "decision" text,
    "costUsd" double precision, "piiRedacted" boolean, "configVersion" int, "createdAt" timestamp(3),
    "messages" jsonb, "outcome" text, "refusalReason" text)
  WHERE NOT (r."id" = ANY (refused));

  RETURN QUERY SELECT unnest(refused);
END
$fn$;
