-- CreateEnum
CREATE TYPE "FeedbackScale" AS ENUM ('thumbs', 'stars');

-- CreateEnum
CREATE TYPE "SentimentLabel" AS ENUM ('negative', 'neutral', 'positive');

-- AlterEnum
ALTER TYPE "IncidentType" ADD VALUE 'negative_feedback';

-- CreateTable
CREATE TABLE "llm_feedback" (
    "id" TEXT NOT NULL,
    "projectId" TEXT NOT NULL,
    "requestId" TEXT NOT NULL,
    "model" TEXT NOT NULL,
    "apiKeyId" TEXT,
    "scale" "FeedbackScale" NOT NULL,
    "score" INTEGER NOT NULL,
    "negative" BOOLEAN NOT NULL,
    "comment" TEXT,
    "sentimentLabel" "SentimentLabel",
    "sentimentScore" DOUBLE PRECISION,
    "sentimentLanguage" TEXT,
    "createdAt" TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,

    CONSTRAINT "llm_feedback_pkey" PRIMARY KEY ("id")
);

-- CreateIndex
CREATE INDEX "llm_feedback_projectId_requestId_idx" ON "llm_feedback"("projectId", "requestId");

-- CreateIndex
CREATE INDEX "llm_feedback_projectId_createdAt_idx" ON "llm_feedback"("projectId", "createdAt");

-- AddForeignKey
ALTER TABLE "llm_feedback" ADD CONSTRAINT "llm_feedback_projectId_fkey" FOREIGN KEY ("projectId") REFERENCES "projects"("id") ON DELETE CASCADE ON UPDATE CASCADE;
