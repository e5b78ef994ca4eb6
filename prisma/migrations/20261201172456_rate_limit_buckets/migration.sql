-- CreateTable
-- UNLOGGED: rate-limit state is written on every request, and without WAL the write costs no log
-- flush, and losing the table in a crash only refills every key's bucket.
CREATE UNLOGGED TABLE "rate_limit_buckets" (
    "key" TEXT NOT NULL,
    "full_at" TIMESTAMPTZ(6) NOT NULL,

    CONSTRAINT "rate_limit_buckets_pkey" PRIMARY KEY ("key")
);
