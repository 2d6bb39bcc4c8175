-- The configuration version of the call the feedback is about, copied like the model so that
-- /metrics rolls feedback up per version without joining the partitioned llm_requests.
ALTER TABLE "llm_feedback" ADD COLUMN "configVersion" INTEGER;

UPDATE "llm_feedback" f SET "configVersion" = r."configVersion"
FROM "llm_requests" r
WHERE r."id" = f."requestId" AND r."projectId" = f."projectId" AND r."configVersion" IS NOT NULL;
