-- CreateTable
CREATE TABLE "metric_latency_hours" (
    "projectId" TEXT NOT NULL,
    "hour" TIMESTAMP(3) NOT NULL,
    "latencyHist" INTEGER[],

    CONSTRAINT "metric_latency_hours_pkey" PRIMARY KEY ("projectId","hour")
);

-- AddForeignKey
ALTER TABLE "metric_latency_hours" ADD CONSTRAINT "metric_latency_hours_projectId_fkey" FOREIGN KEY ("projectId") REFERENCES "projects"("id") ON DELETE CASCADE ON UPDATE CASCADE;
