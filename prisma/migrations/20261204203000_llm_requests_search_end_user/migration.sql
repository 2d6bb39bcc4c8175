-- /logs?userId=... (one end user's calls, the first thing looked at when one user abuses an app)
-- walked a project's rows newest first re-checking endUserId: 0.6-1.2 s on a 50,000-row project
-- when the user had few or no rows. The end user becomes a key of the log search index
-- (btree_gin), beside the project and the words, so PostgreSQL intersects project and user in
-- the index and reads only that user's rows, with or without words.
--
-- Measured before choosing (20,000 rows inserted into a 1,000,000-row table, 3 runs): this index
-- costs about what the (projectId, search) one did (2.2-2.5 s vs 2.0-2.5 s), less than that
-- index plus a B-tree on (projectId, endUserId, createdAt) (2.5-2.9 s). Adding model, endpoint
-- and decision as keys too made q=word&model=... searches 3-4x faster but inserts 20-40% slower
-- (2.5-3.5 s): each of those few values has a huge posting tree that every row updates. Ingestion
-- is the hot path, so they stay out.
DROP INDEX IF EXISTS "llm_requests_search_idx";
CREATE INDEX "llm_requests_search_idx" ON "llm_requests" USING GIN ("projectId", "search", "endUserId");
