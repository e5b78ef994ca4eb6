-- CreateIndex
CREATE INDEX "interactions_user_id_created_at_idx" ON "interactions"("user_id", "created_at");

