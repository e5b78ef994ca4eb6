-- CreateEnum
CREATE TYPE "TrainingOrigin" AS ENUM ('REQUEST', 'ERASURE');

-- AlterEnum
ALTER TYPE "ModelStatus" ADD VALUE 'PURGED';

-- AlterTable
ALTER TABLE "model_versions" ADD COLUMN     "purged_at" TIMESTAMPTZ(3),
ADD COLUMN     "training_users_recorded" BOOLEAN NOT NULL DEFAULT false;

-- AlterTable
ALTER TABLE "training_jobs" ADD COLUMN     "origin" "TrainingOrigin" NOT NULL DEFAULT 'REQUEST';

-- CreateTable
CREATE TABLE "model_version_training_users" (
    "model_version_id" UUID NOT NULL,
    "user_id" UUID NOT NULL,

    CONSTRAINT "model_version_training_users_pkey" PRIMARY KEY ("model_version_id","user_id")
);

-- CreateIndex
CREATE INDEX "model_version_training_users_user_id_idx" ON "model_version_training_users"("user_id");

-- AddForeignKey
ALTER TABLE "model_version_training_users" ADD CONSTRAINT "model_version_training_users_model_version_id_fkey" FOREIGN KEY ("model_version_id") REFERENCES "model_versions"("id") ON DELETE CASCADE ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "model_version_training_users" ADD CONSTRAINT "model_version_training_users_user_id_fkey" FOREIGN KEY ("user_id") REFERENCES "users"("id") ON DELETE CASCADE ON UPDATE CASCADE;

