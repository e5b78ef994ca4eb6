import { createHash } from 'node:crypto';
import type { RawRunner } from './raw.ts';

/**
 * Every advisory lock the service takes: transaction-scoped, in the two-int form
 * `pg_advisory_xact_lock(space, bucket)`. The one place that writes a lock key; modules name a
 * lock space and the keys inside it.
 *
 * The two-int form is a lock tag of its own in PostgreSQL (objsubid 2), so these locks can never
 * collide with single-bigint advisory locks, which is the form pg-boss takes its own locks in
 * (`pg_advisory_xact_lock(<bigint from sha224 of the database and schema>)`).
 *
 * Keys are hashed into LOCK_BUCKETS buckets per space, so a 10,000-row batch takes at most
 * LOCK_BUCKETS locks and does not exhaust the shared lock table (max_locks_per_transaction ×
 * max_connections); two keys sharing a bucket only make unrelated transactions wait for each
 * other, never let two holders of the same key in at once. All locks of one call are taken in
 * one statement, sorted by (space, bucket), so two bulk transactions never deadlock on these
 * locks; a transaction that calls more than once (training requests: the request's lock, then
 * the key's) must do so in the same order everywhere.
 *
 * On embedded PGlite every connection shares one session, whose transactions already run one at
 * a time; there the locks are never contended.
 */

/** One lock space per kind of key; the number is the advisory lock's first int. */
export const LockSpace = {
  // Bulk writes (see row-locks.ts): one space per natural key they read and write.
  users: 0x6d61_0001,
  userEmails: 0x6d61_0002,
  products: 0x6d61_0003,
  campaigns: 0x6d61_0004,
  campaignMetrics: 0x6d61_0005,
  interactions: 0x6d61_0006,
  feedback: 0x6d61_0007,
  feedbackLabels: 0x6d61_0008,
  /** trainModel: identical requests (key: the request key) coalesce into one queued job. */
  trainingRequests: 0x6d61_0009,
  /** trainModel: the per-API-key cap on queued jobs (key: the requesting key's id). */
  trainingKeys: 0x6d61_000a,
  /**
   * The versions of one model (key: `${kind}:${task}`): a finished training numbers and maybe
   * activates its version, activateModel switches the active one. Both take this lock, so
   * neither reads a version number or active flag the other is changing: one active version.
   */
  modelVersions: 0x6d61_000b,
  /** First start without ADMIN_API_KEY: servers starting at once create one ADMIN key (one key). */
  bootstrapAdminKey: 0x6d61_000c,
  /**
   * Erasure against finishing trainings (one key, `guard`): erasures hold it shared, a training
   * storing its version exclusively, so a version is never stored from data of someone erased
   * while it trained without being seen (src/modules/models/erasure.storage.ts).
   */
  trainingUsers: 0x6d61_000d,
} as const;
export type LockSpace = (typeof LockSpace)[keyof typeof LockSpace];

/** Buckets per lock space: the most advisory locks one transaction takes in one space. */
export const LOCK_BUCKETS = 1024;

export interface LockRequest {
  space: LockSpace;
  keys: Iterable<string>;
}

export function lockBucket(key: string): number {
  return createHash('sha1').update(key).digest().readUInt32BE(0) % LOCK_BUCKETS;
}

/**
 * Takes, until the transaction ends, the advisory locks of these keys (hashed into buckets),
 * all in one statement in (space, bucket) order. Call it inside the transaction, before reading
 * the rows the keys guard.
 */
export async function lockKeys(runner: RawRunner, requests: readonly LockRequest[], mode: 'exclusive' | 'shared' = 'exclusive'): Promise<void> {
  const locks: [number, number][] = [];
  for (const { space, keys } of requests) {
    const buckets = new Set<number>();
    for (const key of keys) buckets.add(lockBucket(key));
    for (const bucket of buckets) locks.push([space, bucket]);
  }
  if (locks.length === 0) return;
  locks.sort((a, b) => a[0] - b[0] || a[1] - b[1]);
  // The sort happens before the (volatile) lock calls are evaluated, so they run in this order.
  await runner.rows(
    `SELECT count(*)::int AS locked FROM (
       SELECT ${mode === 'shared' ? 'pg_advisory_xact_lock_shared' : 'pg_advisory_xact_lock'}(k.space, k.bucket) FROM unnest($1::int[], $2::int[]) AS k(space, bucket) ORDER BY k.space, k.bucket
     ) AS taken`,
    [locks.map((lock) => lock[0]), locks.map((lock) => lock[1])],
  );
}
