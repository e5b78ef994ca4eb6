import { LockSpace, lockKeys } from '../../db/advisory-locks.ts';
import { rawIn } from '../../db/raw.ts';
import type { ModelKind, Prisma } from '../../generated/prisma/client.ts';

/**
 * SQL of the erasure rule for models (see ModelErasureService): who a version was trained on,
 * and the purge of versions trained on an erased customer. Every function runs in the caller's
 * transaction.
 *
 * The guard lock orders erasures against the saving of new versions: eraseUser holds it shared
 * (erasures run side by side), a job storing its version holds it exclusively. So a version
 * saved while an erasure is in flight waits for it and then sees the customer erased, and an
 * erasure after a save sees the saved version with its training users: in no interleaving can
 * a version trained on a person's feedback be stored usable after that person's erasure.
 * Lock order everywhere: the guard, then the (kind, task) advisory lock.
 */
const TRAINING_USERS_GUARD = 'model-training-users';

/** Held by eraseUser's transaction, before it reads which versions a person was in. */
export async function holdTrainingUsersShared(tx: Prisma.TransactionClient): Promise<void> {
  await lockKeys(rawIn(tx), [{ space: LockSpace.trainingUsers, keys: [TRAINING_USERS_GUARD] }], 'shared');
}

/** Held by the transaction storing a new version, before it checks its users for erasures. */
export async function holdTrainingUsersExclusive(tx: Prisma.TransactionClient): Promise<void> {
  await lockKeys(rawIn(tx), [{ space: LockSpace.trainingUsers, keys: [TRAINING_USERS_GUARD] }]);
}

/** Serialises activation, deactivation and purges of one (kind, task). */
export async function lockModelTask(tx: Prisma.TransactionClient, kind: ModelKind, task: string): Promise<void> {
  // The lock of a model's versions, shared with activateModel and finishing trainings.
  await lockKeys(rawIn(tx), [{ space: LockSpace.modelVersions, keys: [`${kind}:${task}`] }]);
}

/**
 * Records the users whose feedback a version was trained on: one INSERT ... SELECT (users that
 * no longer exist are skipped, as they hold nothing to erase).
 */
export async function recordTrainingUsers(tx: Prisma.TransactionClient, modelVersionId: string, userIds: readonly string[]): Promise<void> {
  if (userIds.length === 0) return;
  await tx.$executeRaw`
    INSERT INTO model_version_training_users (model_version_id, user_id)
    SELECT ${modelVersionId}::uuid, u.id FROM users u WHERE u.id = ANY(${[...userIds]}::uuid[])
    ON CONFLICT DO NOTHING`;
}

/** How many of these users are erased. */
export async function countErased(tx: Prisma.TransactionClient, userIds: readonly string[]): Promise<number> {
  if (userIds.length === 0) return 0;
  const [row] = await tx.$queryRaw<{ erased: number }[]>`
    SELECT count(*)::int AS erased FROM users WHERE id = ANY(${[...userIds]}::uuid[]) AND erased_at IS NOT NULL`;
  return row?.erased ?? 0;
}

/**
 * Versions trained before training users were recorded cannot say whom they were trained on:
 * a text classifier of a task the person has labelled feedback for counts as trained on them
 * (recorded so from now on). Call before the person's labels are deleted.
 */
export async function recordUnrecordedVersionsConservatively(tx: Prisma.TransactionClient, userId: string): Promise<void> {
  await tx.$executeRaw`
    INSERT INTO model_version_training_users (model_version_id, user_id)
    SELECT mv.id, ${userId}::uuid FROM model_versions mv
    WHERE mv.kind = 'TEXT_CLASSIFIER' AND NOT mv.training_users_recorded AND mv.status <> 'PURGED'
      AND mv.task IN (SELECT l.task FROM feedback_labels l JOIN feedback f ON f.id = l.feedback_id WHERE f.user_id = ${userId}::uuid)
    ON CONFLICT DO NOTHING`;
}

export interface TrainedOnVersion {
  id: string;
  kind: ModelKind;
  task: string;
  active: boolean;
  hyperparameters: Record<string, unknown>;
}

/** The not yet purged versions trained on this user, by kind, task and version. */
export async function versionsTrainedOn(tx: Prisma.TransactionClient, userId: string): Promise<TrainedOnVersion[]> {
  return tx.$queryRaw<TrainedOnVersion[]>`
    SELECT mv.id::text, mv.kind::text AS kind, mv.task, mv.active, mv.hyperparameters
    FROM model_versions mv JOIN model_version_training_users t ON t.model_version_id = mv.id
    WHERE t.user_id = ${userId}::uuid AND mv.status <> 'PURGED'
    ORDER BY mv.kind, mv.task, mv.version`;
}

/** Purges these versions if they are not active: artifact deleted, status PURGED. Returns how many. */
export async function purgeInactiveVersions(tx: Prisma.TransactionClient, ids: readonly string[]): Promise<number> {
  if (ids.length === 0) return 0;
  return tx.$executeRaw`
    UPDATE model_versions SET status = 'PURGED', artifact = NULL, purged_at = now()
    WHERE id = ANY(${[...ids]}::uuid[]) AND NOT active AND status <> 'PURGED'`;
}

/**
 * Purges every version of (kind, task) that is not active and was trained on an erased user:
 * an active such version is kept only until its replacement is activated. Returns how many.
 */
export async function purgeErasedInactive(tx: Prisma.TransactionClient, kind: ModelKind, task: string): Promise<number> {
  return tx.$executeRaw`
    UPDATE model_versions mv SET status = 'PURGED', artifact = NULL, purged_at = now()
    WHERE mv.kind = ${kind}::"ModelKind" AND mv.task = ${task} AND NOT mv.active AND mv.status <> 'PURGED'
      AND EXISTS (SELECT 1 FROM model_version_training_users t JOIN users u ON u.id = t.user_id
                  WHERE t.model_version_id = mv.id AND u.erased_at IS NOT NULL)`;
}

/**
 * Deactivates and purges the active version of (kind, task) when it was trained on an erased
 * user (its replacement could not be trained). Returns how many (0 or 1).
 */
export async function retireErasedActive(tx: Prisma.TransactionClient, kind: ModelKind, task: string): Promise<number> {
  return tx.$executeRaw`
    UPDATE model_versions mv SET active = false, status = 'PURGED', artifact = NULL, purged_at = now()
    WHERE mv.kind = ${kind}::"ModelKind" AND mv.task = ${task} AND mv.active
      AND EXISTS (SELECT 1 FROM model_version_training_users t JOIN users u ON u.id = t.user_id
                  WHERE t.model_version_id = mv.id AND u.erased_at IS NOT NULL)`;
}

/** The stored predictions of a user's feedback (made from the text erasure blanks). */
export async function deletePredictionsOfUser(tx: Prisma.TransactionClient, userId: string): Promise<number> {
  return tx.$executeRaw`DELETE FROM feedback_predictions WHERE feedback_id IN (SELECT id FROM feedback WHERE user_id = ${userId}::uuid)`;
}
