-- Hand-written (issue 24): the search vector of a large row is built after the row is committed.
--
-- The stemmed search column was GENERATED ALWAYS, so every insert built it in the batch's
-- transaction. For a 1 MB prompt with a 1 MB response that is 30-105 ms of PostgreSQL's time
-- (English and German over 2 x 200,000 characters, measured on the bench:adversarial shapes),
-- and the call's 201, and every other call of the same batch, waited for it.
--
-- Now the column is a plain one kept by a trigger with the same expression:
--   * rows whose prompt and response hold at most 32 KiB together (nearly all: bench:ingest's
--     rows are about 0.5 KB) get their vector in the insert, as before, at about 7 ms at most.
--   * larger rows are stored with search NULL. The server fills them right after the commit
--     (services/ingest/deferredSearch.ts) and a minute job sweeps any the server did not
--     reach (a crash between the commit and the fill). Until then a word search does not find
--     that row. Nothing else about the row waits.
-- DROP EXPRESSION keeps every stored vector (no table rewrite).
-- (No semicolons inside comments: the migration runner splits statements on them.)

CREATE OR REPLACE FUNCTION llmguard_search_vector(p_prompt text, p_response text)
RETURNS tsvector
LANGUAGE sql
IMMUTABLE PARALLEL SAFE
AS $fn$
  SELECT to_tsvector('english'::regconfig, left(coalesce(p_prompt, ''), 200000) || ' ' || left(coalesce(p_response, ''), 200000))
    || to_tsvector('german'::regconfig, left(coalesce(p_prompt, ''), 200000) || ' ' || left(coalesce(p_response, ''), 200000))
$fn$;

ALTER TABLE "llm_requests" ALTER COLUMN "search" DROP EXPRESSION;

-- 32768 bytes: also in services/ingest/deferredSearch.ts (SEARCH_INLINE_BYTES).
CREATE OR REPLACE FUNCTION llmguard_search_on_write()
RETURNS trigger
LANGUAGE plpgsql
AS $fn$
BEGIN
  IF TG_OP = 'UPDATE' THEN
    IF NEW."prompt" IS NOT DISTINCT FROM OLD."prompt" AND NEW."response" IS NOT DISTINCT FROM OLD."response" THEN
      RETURN NEW;
    END IF;
    NEW."search" := NULL;
  END IF;
  IF NEW."search" IS NULL
     AND octet_length(coalesce(NEW."prompt", '')) + octet_length(coalesce(NEW."response", '')) <= 32768 THEN
    NEW."search" := llmguard_search_vector(NEW."prompt", NEW."response");
  END IF;
  RETURN NEW;
END
$fn$;

CREATE TRIGGER "llm_requests_search_on_write"
  BEFORE INSERT OR UPDATE OF "prompt", "response" ON "llm_requests"
  FOR EACH ROW EXECUTE FUNCTION llmguard_search_on_write();

-- The rows still waiting for their vector: few, so this index stays tiny.
CREATE INDEX "llm_requests_search_pending_idx" ON "llm_requests" ("createdAt") WHERE "search" IS NULL;
