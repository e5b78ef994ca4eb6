import type { ModelKind, Prisma } from '../../generated/prisma/client.ts';
import type { Logger } from '../../logger.ts';
import {
  deletePredictionsOfUser,
  holdTrainingUsersShared,
  lockModelTask,
  purgeInactiveVersions,
  recordUnrecordedVersionsConservatively,
  versionsTrainedOn,
} from './erasure.storage.ts';
import type { TrainingService } from './training.service.ts';

/** What an erasure did to the models (ErasureResult's model fields). */
export interface ModelErasureOutcome {
  /** Versions whose artifact this erasure deleted (status PURGED). */
  versionsPurged: number;
  /** The retrain jobs queued or joined, one per (kind, task) whose active version was trained on the person. */
  retrainJobIds: string[];
  /** Of those, the ones this erasure created: sent to the queue after the transaction commits. */
  createdJobIds: string[];
}

export const NO_MODEL_CHANGES: ModelErasureOutcome = Object.freeze({ versionsPurged: 0, retrainJobIds: [], createdJobIds: [] }) as ModelErasureOutcome;

/**
 * The erasure rule for models (issue #11; see eraseUser in users.graphql and README "Erasure"):
 * - Every text-classifier version records whom it was trained on (model_version_training_users,
 *   written with the version). A version from before that record counts as trained on the person
 *   when the person had labelled feedback of its task.
 * - In eraseUser's transaction: every such version that is not active is purged (artifact deleted,
 *   status PURGED, never activated or loaded again: MODEL_PURGED). The active one keeps serving
 *   until a retrain replaces it: a system job (origin ERASURE, policy ALWAYS, the active version's
 *   hyperparameters, outside every key's queue cap, coalesced while QUEUED) is queued; when it is
 *   activated the version it replaces is purged. If the retrain fails for good (e.g. too little
 *   data left), the active version is deactivated and purged and the task has no active model.
 * - A training job that read the person's feedback before the erasure stores its version PURGED
 *   (see TrainingService.storeResult and the guard lock in erasure.storage.ts).
 * - The person's stored predictions are deleted with their feedback text.
 * Recommenders are not affected: they train on interactions, which erasure keeps as anonymous
 * events of the anonymised user row, and hold no text, name or email (only row ids and factors
 * of a user that no longer identifies anyone).
 */
export class ModelErasureService {
  constructor(
    private readonly training: TrainingService,
    private readonly logger: Logger,
  ) {}

  /** In eraseUser's transaction, after the user row is locked and before its labels are deleted. */
  async eraseFromModels(tx: Prisma.TransactionClient, userId: string): Promise<ModelErasureOutcome> {
    await holdTrainingUsersShared(tx);
    await recordUnrecordedVersionsConservatively(tx, userId);
    const found = await versionsTrainedOn(tx, userId);
    const tasks = new Map<string, { kind: ModelKind; task: string }>();
    for (const version of found) tasks.set(`${version.kind}:${version.task}`, { kind: version.kind, task: version.task });
    const outcome: ModelErasureOutcome = { versionsPurged: 0, retrainJobIds: [], createdJobIds: [] };
    // Task by task in a fixed order (the lock order of concurrent erasures).
    for (const { kind, task } of tasks.values()) {
      await lockModelTask(tx, kind, task);
      // Read again under the task's lock: an activation may have switched versions since.
      const versions = (await versionsTrainedOn(tx, userId)).filter((version) => version.kind === kind && version.task === task);
      outcome.versionsPurged += await purgeInactiveVersions(
        tx,
        versions.filter((version) => !version.active).map((version) => version.id),
      );
      const active = versions.find((version) => version.active);
      if (!active) continue;
      const retrain = await this.training.queueErasureRetrain(tx, kind, task, active.hyperparameters);
      outcome.retrainJobIds.push(retrain.trainingJobId);
      if (retrain.created) outcome.createdJobIds.push(retrain.trainingJobId);
    }
    await deletePredictionsOfUser(tx, userId);
    return outcome;
  }

  /** After eraseUser's transaction committed: the retrains it created go to the job queue. */
  async afterCommit(outcome: ModelErasureOutcome): Promise<void> {
    if (outcome.createdJobIds.length === 0) return;
    await this.training.sendQueued(outcome.createdJobIds).catch((error: unknown) => {
      // They stay QUEUED and are sent by a worker's periodic check (takeOverStaleJobs).
      this.logger.warn({ err: error, trainingJobIds: outcome.createdJobIds }, 'erasure retrains could not be sent to the queue yet');
    });
  }
}
