-- The log search index takes the filters users combine with words and with each other:
-- model, endpoint, end user and decision, beside the project and the words. A search such as
-- q=security&model=gpt-4o visited every row with the word to check the model (7,000 heap rows on
-- a 50,000-row project, 40-170 ms); /logs?userId=... walked a project's rows newest first
-- re-checking endUserId (0.6-1.2 s when the user had few rows). With the filters as keys of the
-- same GIN index (btree_gin), PostgreSQL intersects them in the index and reads only the rows
-- that match. It replaces the (projectId, search) index instead of adding one, so ingestion still
-- maintains a single GIN index (four more keys a row in its pending list) and no new B-tree.
-- Status and risk score stay out: "success" holds nearly every row and a risk range unions up to
-- 101 posting lists, which made the index scan slower than the heap visits it saved.
DROP INDEX IF EXISTS "llm_requests_search_idx";
CREATE INDEX "llm_requests_search_idx" ON "llm_requests"
  USING GIN ("projectId", "search", "model", "endpoint", "endUserId", "decision");
