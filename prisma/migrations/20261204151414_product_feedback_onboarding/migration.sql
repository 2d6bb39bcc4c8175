-- CreateEnum
CREATE TYPE "ProductFeedbackKind" AS ENUM ('bug', 'feature_request', 'praise', 'other');

-- CreateEnum
CREATE TYPE "ProductFeedbackStatus" AS ENUM ('new', 'planned', 'done', 'declined');

-- AlterTable
ALTER TABLE "users" ADD COLUMN     "onboardingDismissedAt" TIMESTAMP(3);

-- CreateTable
CREATE TABLE "product_feedback" (
    "id" TEXT NOT NULL,
    "userId" TEXT NOT NULL,
    "kind" "ProductFeedbackKind" NOT NULL,
    "message" TEXT NOT NULL,
    "page" TEXT,
    "rating" INTEGER,
    "sentimentLabel" "SentimentLabel",
    "sentimentScore" DOUBLE PRECISION,
    "sentimentLanguage" TEXT,
    "status" "ProductFeedbackStatus" NOT NULL DEFAULT 'new',
    "statusChangedAt" TIMESTAMP(3),
    "statusChangedById" TEXT,
    "createdAt" TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "updatedAt" TIMESTAMP(3) NOT NULL,

    CONSTRAINT "product_feedback_pkey" PRIMARY KEY ("id")
);

-- CreateIndex
CREATE INDEX "product_feedback_userId_createdAt_idx" ON "product_feedback"("userId", "createdAt" DESC);

-- CreateIndex
CREATE INDEX "product_feedback_createdAt_idx" ON "product_feedback"("createdAt");

-- AddForeignKey
ALTER TABLE "product_feedback" ADD CONSTRAINT "product_feedback_userId_fkey" FOREIGN KEY ("userId") REFERENCES "users"("id") ON DELETE CASCADE ON UPDATE CASCADE;
