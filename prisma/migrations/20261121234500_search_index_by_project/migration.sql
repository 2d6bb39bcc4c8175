-- Hand-written: a composite GIN index ("projectId", search) so a full-text search scoped to one
-- project reads only that project's postings (btree_gin provides GIN support for text).
-- (No semicolons inside comments: the migration runner splits statements on them.)
CREATE EXTENSION IF NOT EXISTS btree_gin;

DROP INDEX IF EXISTS "llm_requests_search_idx";

CREATE INDEX "llm_requests_search_idx" ON "llm_requests" USING GIN ("projectId", "search");
