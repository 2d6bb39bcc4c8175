-- DropIndex
DROP INDEX "incidents_projectId_externalId_key";

-- CreateIndex
CREATE INDEX "incidents_projectId_externalId_idx" ON "incidents"("projectId", "externalId");
