-- DropIndex
DROP INDEX "llm_requests_projectId_endpoint_createdAt_idx";

-- DropIndex
DROP INDEX "llm_requests_projectId_model_createdAt_idx";

-- DropIndex
DROP INDEX "llm_requests_projectId_status_createdAt_idx";
