import type { Db } from '../../db/prisma.ts';
import type { ModelKind, ModelVersion as StoredModelVersion, TrainingJob } from '../../generated/prisma/client.ts';

/** A model version without its artefact bytes (those are read only to load a model). */
export type ModelVersion = Omit<StoredModelVersion, 'artifact'>;
import { appError, ErrorCode, notFoundError } from '../../graphql/errors.ts';
import { lockModelTask, purgeErasedInactive, retireErasedActive } from './erasure.storage.ts';

/** MODEL_PURGED: the version's artifact was deleted (trained on an erased customer); it cannot serve again. */
export function modelPurgedError(id: string) {
  return appError(
    ErrorCode.MODEL_PURGED,
    `Model version ${id} was purged: it was trained on feedback of a customer erased since (eraseUser), and its artefact was deleted. It cannot be activated or loaded again; activate or train another version.`,
    { modelVersionId: id },
  );
}

/** Model versions and training jobs as stored rows: listing, lookup and activation. */
export class ModelRegistry {
  private readonly activationListeners: ((kind: ModelKind, task: string) => void)[] = [];

  constructor(private readonly db: Db) {}

  /** Called after a version of (kind, task) became active in this process. */
  onActivated(listener: (kind: ModelKind, task: string) => void): void {
    this.activationListeners.push(listener);
  }

  notifyActivated(kind: ModelKind, task: string): void {
    for (const listener of this.activationListeners) listener(kind, task);
  }

  /** Newest first, at most `first` (the resolver applies the page-size rule). */
  listModels(filter: { kind?: ModelKind | null; task?: string | null; activeOnly?: boolean | null; first: number }): Promise<ModelVersion[]> {
    return this.db.modelVersion.findMany({
      where: {
        ...(filter.kind ? { kind: filter.kind } : {}),
        ...(filter.task ? { task: filter.task } : {}),
        ...(filter.activeOnly ? { active: true } : {}),
      },
      orderBy: [{ createdAt: 'desc' }],
      omit: { artifact: true },
      take: filter.first,
    });
  }

  getModel(id: string): Promise<ModelVersion | null> {
    return this.db.modelVersion.findUnique({ where: { id }, omit: { artifact: true } });
  }

  getJob(id: string): Promise<TrainingJob | null> {
    return this.db.trainingJob.findUnique({ where: { id } });
  }

  listJobs(filter: { kind?: ModelKind | null; task?: string | null; first: number }): Promise<TrainingJob[]> {
    return this.db.trainingJob.findMany({
      where: { ...(filter.kind ? { kind: filter.kind } : {}), ...(filter.task ? { task: filter.task } : {}) },
      orderBy: [{ createdAt: 'desc' }],
      take: filter.first,
    });
  }

  /** The active version's id for a (kind, task); cheap enough to poll. */
  async activeVersionId(kind: ModelKind, task: string): Promise<string | null> {
    const row = await this.db.modelVersion.findFirst({ where: { kind, task, active: true }, select: { id: true } });
    return row?.id ?? null;
  }

  /**
   * Makes one version the only active one of its (kind, task), atomically. A PURGED version is
   * refused (MODEL_PURGED); the version it replaces is purged when it was trained on an erased
   * customer (it was kept only until something replaced it).
   */
  async activate(id: string): Promise<ModelVersion> {
    const activated = await this.db.$transaction(async (tx) => {
      const target = await tx.modelVersion.findUnique({ where: { id }, select: { id: true, kind: true, task: true, artifact: false } });
      if (!target) throw notFoundError('ModelVersion', id);
      // Serialise concurrent activations (and erasures' purges) of the same (kind, task).
      await lockModelTask(tx, target.kind, target.task);
      // Read under the lock: an erasure may have purged it since the read above.
      const current = await tx.modelVersion.findUniqueOrThrow({ where: { id }, select: { status: true } });
      if (current.status === 'PURGED') throw modelPurgedError(id);
      await tx.modelVersion.updateMany({ where: { kind: target.kind, task: target.task, active: true, NOT: { id } }, data: { active: false } });
      const version = await tx.modelVersion.update({ where: { id }, data: { active: true, activatedAt: new Date() }, omit: { artifact: true } });
      await purgeErasedInactive(tx, target.kind, target.task);
      return version;
    });
    this.notifyActivated(activated.kind, activated.task);
    return activated;
  }

  /**
   * After an erasure's retrain of (kind, task) failed for good (e.g. too little data left): the
   * active version, if trained on an erased customer, is deactivated and purged, so the task has
   * no active model (serving answers MODEL_NOT_READY until a new version is trained). Returns
   * whether a version was retired.
   */
  async retireErasedActive(kind: ModelKind, task: string): Promise<boolean> {
    const retired = await this.db.$transaction(async (tx) => {
      await lockModelTask(tx, kind, task);
      return retireErasedActive(tx, kind, task);
    });
    if (retired > 0) this.notifyActivated(kind, task);
    return retired > 0;
  }

  async loadArtifact(id: string): Promise<Uint8Array> {
    const row = await this.db.modelVersion.findUnique({ where: { id }, select: { artifact: true, status: true } });
    if (row?.status === 'PURGED') throw modelPurgedError(id);
    if (!row?.artifact) throw appError(ErrorCode.MODEL_NOT_READY, `Model version ${id} has no stored artefact.`);
    return row.artifact;
  }
}
