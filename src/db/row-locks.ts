/**
 * Serialising concurrent bulk writes of the same rows.
 *
 * Every bulk write reads the stored rows, decides per row (create / update / unchanged) and then
 * writes with set-based SQL. Under READ COMMITTED two identical batches sent at once would both
 * read "absent", both insert (one fails on the unique index) and both report "created". So each
 * bulk transaction first takes a transaction-scoped advisory lock per natural key it is about to
 * read and write (externalId, email hash, (campaign, date), (feedback, task), dedupe key), and
 * only then reads the stored rows. The second of two concurrent batches waits until the first
 * commits; its read, a new statement under READ COMMITTED, then sees the committed rows, so it
 * reports them unchanged (or updated) and never inserts them twice. Why advisory locks and not
 * `INSERT ... ON CONFLICT`: most upserts merge the input over the stored row in TypeScript
 * (encryption, omitted fields keep stored values), so the decision needs the row read under a
 * lock; and a lock on a key that has no row yet cannot be a row lock. The same holds on
 * embedded PGlite, which runs one transaction at a time (the locks are then never contended).
 *
 * `lockKeys` hashes keys into LOCK_BUCKETS buckets per space, so a 10,000-row batch takes at most
 * LOCK_BUCKETS locks and does not exhaust the shared lock table (max_locks_per_transaction ×
 * max_connections); two keys sharing a bucket only make unrelated batches wait for each other.
 * All locks of a transaction are taken in one statement, sorted by (space, bucket), so two bulk
 * transactions never deadlock on these locks; deadlocks with row locks (FOR KEY SHARE of
 * references) remain possible and are retried by the caller (see `retryableSqlState`).
 *
 * The lock spaces and `lockKeys` live in advisory-locks.ts, with every other advisory lock.
 */

/**
 * SQLSTATEs after which re-running the whole bulk transaction is correct and likely to succeed:
 * a deadlock, a serialization failure, and a unique violation (a concurrent writer that takes
 * no lock, e.g. an erasure, inserted or renamed the key between our read and our write).
 */
const RETRYABLE_SQLSTATES = new Set(['40P01', '40001', '23505']);

/** The retryable SQLSTATE behind an error thrown by pg or by Prisma (raw or typed query), if any. */
export function retryableSqlState(error: unknown): string | undefined {
  const seen = new Set<unknown>();
  const visit = (value: unknown, depth: number): string | undefined => {
    if (!value || typeof value !== 'object' || seen.has(value) || depth > 5) return undefined;
    seen.add(value);
    const record = value as Record<string, unknown>;
    for (const field of ['code', 'originalCode', 'sqlState']) {
      const code = record[field];
      if (typeof code === 'string' && RETRYABLE_SQLSTATES.has(code)) return code;
    }
    // Prisma's own codes for the same conditions: unique constraint, write conflict/deadlock.
    if (record.code === 'P2002') return '23505';
    if (record.code === 'P2034') return '40001';
    if (record.kind === 'UniqueConstraintViolation') return '23505';
    if (record.kind === 'TransactionWriteConflict') return '40001';
    for (const field of ['cause', 'meta', 'driverAdapterError']) {
      const found = visit(record[field], depth + 1);
      if (found) return found;
    }
    if (record.code === 'P2010' && typeof record.message === 'string') {
      const match = /Code: `([0-9A-Z]{5})`/.exec(record.message);
      if (match && RETRYABLE_SQLSTATES.has(match[1])) return match[1];
    }
    return undefined;
  };
  return visit(error, 0);
}
