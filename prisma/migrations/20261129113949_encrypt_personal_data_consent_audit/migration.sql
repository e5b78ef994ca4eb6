-- Encryption at rest of users.email/users.name, consent history and the audit log.
-- The plaintext columns "email" and "name" stay for now: encryption keys live in configuration,
-- not in the database, so the server encrypts existing rows at start-up (src/privacy/backfill.ts)
-- and clears these columns. A later migration may drop them.

-- DropIndex
DROP INDEX "users_email_key";

-- AlterTable
ALTER TABLE "users" ADD COLUMN     "email_ciphertext" TEXT,
ADD COLUMN     "email_hash" TEXT,
ADD COLUMN     "erased_at" TIMESTAMPTZ(3),
ADD COLUMN     "marketing_consent_updated_at" TIMESTAMPTZ(3),
ADD COLUMN     "name_ciphertext" TEXT;

-- CreateTable
CREATE TABLE "consent_changes" (
    "id" BIGSERIAL NOT NULL,
    "user_id" UUID NOT NULL,
    "granted" BOOLEAN NOT NULL,
    "source" TEXT NOT NULL,
    "changed_at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,

    CONSTRAINT "consent_changes_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "audit_log" (
    "id" BIGSERIAL NOT NULL,
    "at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "key_id" TEXT,
    "key_name" TEXT,
    "role" "ApiRole" NOT NULL,
    "operation" TEXT NOT NULL,
    "outcome" TEXT NOT NULL,
    "error_code" TEXT,
    "counts" JSONB NOT NULL DEFAULT '{}',
    "request_id" TEXT,

    CONSTRAINT "audit_log_pkey" PRIMARY KEY ("id")
);

-- CreateIndex
CREATE INDEX "consent_changes_user_id_changed_at_idx" ON "consent_changes"("user_id", "changed_at");

-- CreateIndex
CREATE INDEX "audit_log_at_id_idx" ON "audit_log"("at", "id");

-- CreateIndex
CREATE INDEX "audit_log_operation_at_idx" ON "audit_log"("operation", "at");

-- CreateIndex
CREATE INDEX "audit_log_key_id_at_idx" ON "audit_log"("key_id", "at");

-- CreateIndex
CREATE UNIQUE INDEX "users_email_hash_key" ON "users"("email_hash");

-- AddForeignKey
ALTER TABLE "consent_changes" ADD CONSTRAINT "consent_changes_user_id_fkey" FOREIGN KEY ("user_id") REFERENCES "users"("id") ON DELETE CASCADE ON UPDATE CASCADE;

