import { LockSpace, lockKeys } from '../../db/advisory-locks.ts';
import type { Db } from '../../db/prisma.ts';
import { rawIn } from '../../db/raw.ts';
import type { ModelKind, ModelVersion as StoredModelVersion, TrainingJob } from '../../generated/prisma/client.ts';

/** A model version without its artefact bytes (those are read only to load a model). */
export type ModelVersion = Omit<StoredModelVersion, 'artifact'>;
import { appError, ErrorCode, notFoundError } from '../../graphql/errors.ts';

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

  listModels(filter: { kind?: ModelKind | null; task?: string | null; activeOnly?: boolean | null }): Promise<ModelVersion[]> {
    return this.db.modelVersion.findMany({
      where: {
        ...(filter.kind ? { kind: filter.kind } : {}),
        ...(filter.task ? { task: filter.task } : {}),
        ...(filter.activeOnly ? { active: true } : {}),
      },
      orderBy: [{ createdAt: 'desc' }],
      omit: { artifact: true },
      take: 200,
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

  /** Makes one version the only active one of its (kind, task), atomically. */
  async activate(id: string): Promise<ModelVersion> {
    const activated = await this.db.$transaction(async (tx) => {
      const target = await tx.modelVersion.findUnique({ where: { id }, select: { id: true, kind: true, task: true, artifact: false } });
      if (!target) throw notFoundError('ModelVersion', id);
      // Serialised with other activations and finishing trainings of the same (kind, task).
      await lockKeys(rawIn(tx), [{ space: LockSpace.modelVersions, keys: [`${target.kind}:${target.task}`] }]);
      await tx.modelVersion.updateMany({ where: { kind: target.kind, task: target.task, active: true, NOT: { id } }, data: { active: false } });
      return tx.modelVersion.update({ where: { id }, data: { active: true, activatedAt: new Date() }, omit: { artifact: true } });
    });
    this.notifyActivated(activated.kind, activated.task);
    return activated;
  }

  async loadArtifact(id: string): Promise<Uint8Array> {
    const row = await this.db.modelVersion.findUnique({ where: { id }, select: { artifact: true } });
    if (!row?.artifact) throw appError(ErrorCode.MODEL_NOT_READY, `Model version ${id} has no stored artefact.`);
    return row.artifact;
  }
}
