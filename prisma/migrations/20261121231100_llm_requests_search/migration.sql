-- Hand-written: Prisma's schema cannot describe a generated column or a GIN index over it.
-- (No semicolons inside comments: the migration runner splits statements on them.)
-- Full-text search over prompt and response ('simple' config: traffic is multilingual).
-- Inputs are capped so a 1 MB prompt cannot exceed tsvector's size limit.
ALTER TABLE "llm_requests"
  ADD COLUMN "search" tsvector GENERATED ALWAYS AS (
    to_tsvector('simple'::regconfig, left(coalesce("prompt", ''), 200000) || ' ' || left(coalesce("response", ''), 200000))
  ) STORED;

-- projectId leads: searches are always scoped to a project (btree_gin would allow a
-- composite, but the planner combines this with the (projectId, createdAt) btree instead).
CREATE INDEX "llm_requests_search_idx" ON "llm_requests" USING GIN ("search");
