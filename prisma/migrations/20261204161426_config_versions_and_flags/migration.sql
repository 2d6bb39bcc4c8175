-- AlterTable
ALTER TABLE "projects" ADD COLUMN     "activeConfigVersion" INTEGER,
ADD COLUMN     "configSplit" JSONB;

-- CreateTable
CREATE TABLE "project_config_versions" (
    "projectId" TEXT NOT NULL,
    "number" INTEGER NOT NULL,
    "config" JSONB NOT NULL,
    "message" TEXT,
    "createdById" TEXT,
    "incidentId" TEXT,
    "remediationId" TEXT,
    "createdAt" TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,

    CONSTRAINT "project_config_versions_pkey" PRIMARY KEY ("projectId","number")
);

-- CreateTable
CREATE TABLE "feature_flags" (
    "key" TEXT NOT NULL,
    "description" TEXT,
    "enabled" BOOLEAN NOT NULL DEFAULT false,
    "rolloutPercent" INTEGER NOT NULL DEFAULT 100,
    "allowUsers" TEXT[] DEFAULT ARRAY[]::TEXT[],
    "denyUsers" TEXT[] DEFAULT ARRAY[]::TEXT[],
    "allowProjects" TEXT[] DEFAULT ARRAY[]::TEXT[],
    "denyProjects" TEXT[] DEFAULT ARRAY[]::TEXT[],
    "variants" JSONB NOT NULL DEFAULT '[]',
    "archivedAt" TIMESTAMP(3),
    "createdById" TEXT,
    "createdAt" TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "updatedAt" TIMESTAMP(3) NOT NULL,

    CONSTRAINT "feature_flags_pkey" PRIMARY KEY ("key")
);

-- AddForeignKey
ALTER TABLE "project_config_versions" ADD CONSTRAINT "project_config_versions_projectId_fkey" FOREIGN KEY ("projectId") REFERENCES "projects"("id") ON DELETE CASCADE ON UPDATE CASCADE;

-- Left out by the generator (the statement also touched the hand-written "search" column).
ALTER TABLE "llm_requests" ADD COLUMN "configVersion" INTEGER;

-- Every existing project starts at version 1: its current settings.
INSERT INTO "project_config_versions" ("projectId", "number", "config", "message")
SELECT p.id, 1,
  COALESCE(p."modelSettings", '{}'::jsonb) || jsonb_build_object(
    'defaultModel', p."defaultModel", 'systemPrompt', p."systemPrompt",
    'safetyThreshold', p."safetyThreshold", 'piiMode', p."piiMode"::text),
  'initial settings'
FROM "projects" p;
UPDATE "projects" SET "activeConfigVersion" = 1;

-- Hand-written: the ingest batch function of 20261122020000_ingest_batch_function, now also
-- storing the config version each call was answered with.
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
    "error", "metadata", "riskScore", "riskLevel", "riskFlags", "decision", "costUsd", "piiRedacted", "configVersion", "createdAt")
  SELECT r."id", r."projectId", r."apiKeyId", r."model", r."effectiveModel", r."endpoint", r."endUserId",
    r."prompt", r."response", r."systemPrompt", r."latencyMs", r."promptTokens", r."completionTokens",
    r."totalTokens", r."status"::"RequestStatus", r."error", r."metadata", r."riskScore",
    r."riskLevel"::"RiskLevel", r."riskFlags", r."decision"::"Decision", r."costUsd", r."piiRedacted", r."configVersion", r."createdAt"
  FROM json_to_recordset(p_rows) AS r(
    "id" text, "projectId" text, "apiKeyId" text, "model" text, "effectiveModel" text, "endpoint" text,
    "endUserId" text, "prompt" text, "response" text, "systemPrompt" text, "latencyMs" int,
    "promptTokens" int, "completionTokens" int, "totalTokens" int, "status" text, "error" text,
    "metadata" jsonb, "riskScore" int, "riskLevel" text, "riskFlags" text[], "decision" text,
    "costUsd" double precision, "piiRedacted" boolean, "configVersion" int, "createdAt" timestamp(3))
  WHERE NOT (r."id" = ANY (refused));

  RETURN QUERY SELECT unnest(refused);
END
$fn$;
