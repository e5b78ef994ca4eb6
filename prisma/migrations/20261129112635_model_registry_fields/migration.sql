-- CreateEnum
CREATE TYPE "ActivationPolicy" AS ENUM ('AUTO', 'ALWAYS', 'NEVER');

-- AlterTable
ALTER TABLE "model_versions" ADD COLUMN     "labels" TEXT[] DEFAULT ARRAY[]::TEXT[];

-- AlterTable
ALTER TABLE "training_jobs" ADD COLUMN     "activation_decision" TEXT,
ADD COLUMN     "activation_policy" "ActivationPolicy" NOT NULL DEFAULT 'AUTO',
ADD COLUMN     "error_code" TEXT;

