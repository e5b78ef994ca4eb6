-- AlterTable
ALTER TABLE "training_jobs" ADD COLUMN     "heartbeat_at" TIMESTAMPTZ(3),
ADD COLUMN     "request_count" INTEGER NOT NULL DEFAULT 1,
ADD COLUMN     "request_key" TEXT,
ADD COLUMN     "requested_by_key_id" TEXT;

-- CreateIndex
CREATE INDEX "training_jobs_request_key_status_idx" ON "training_jobs"("request_key", "status");

-- CreateIndex
CREATE INDEX "training_jobs_requested_by_key_id_status_idx" ON "training_jobs"("requested_by_key_id", "status");

-- CreateIndex
CREATE INDEX "training_jobs_status_heartbeat_at_idx" ON "training_jobs"("status", "heartbeat_at");

