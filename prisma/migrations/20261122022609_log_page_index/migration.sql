-- DropIndex
DROP INDEX "llm_requests_projectId_createdAt_idx";

-- CreateIndex
CREATE INDEX "llm_requests_projectId_createdAt_id_idx" ON "llm_requests"("projectId", "createdAt" DESC, "id" DESC);
