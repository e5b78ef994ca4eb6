import type { Db } from '../../db/prisma.ts';
import type { ActivationPolicy, ModelKind, Prisma, TrainingJob } from '../../generated/prisma/client.ts';
import { appError, ErrorCode, userInputError } from '../../graphql/errors.ts';
import { QUEUES, type JobQueue } from '../../jobs/queue.ts';
import type { Logger } from '../../logger.ts';
import type { BackendPreference } from '../../ml/shared/backend.ts';
import { parseTaskName } from '../common/task-name.ts';
import type { ModelRegistry } from './registry.service.ts';
import { TrainingInputError, type ModelTrainer, type TrainedModel, type TrainingProgressUpdate } from './trainers/trainer.ts';
import type { TrainingThreadMode } from './trainers/trainer.ts';

/** Queues training jobs and runs them (in a worker): data → model → stored version → activation. */
export class TrainingService {
  private readonly trainers: Map<ModelKind, ModelTrainer>;

  constructor(
    private readonly db: Db,
    private readonly registry: ModelRegistry,
    trainers: ModelTrainer[],
    private readonly queue: () => JobQueue | null,
    private readonly logger: Logger,
    /** TRAINING_THREAD: where the trainers run their compute. */
    private readonly thread: TrainingThreadMode,
    /** TFJS_BACKEND, for the training thread's own TensorFlow.js. */
    private readonly backend: BackendPreference,
  ) {
    this.trainers = new Map(trainers.map((trainer) => [trainer.kind, trainer]));
  }

  async requestTraining(input: {
    kind: ModelKind;
    task: string;
    hyperparameters?: Record<string, unknown> | null;
    activation?: ActivationPolicy | null;
  }): Promise<TrainingJob> {
    const trainer = this.trainerFor(input.kind);
    // The rule labels are stored under, so every labelled task can be trained.
    const task = parseTaskName(input.task);
    const hyperparameters = input.hyperparameters ?? {};
    trainer.validate(task, hyperparameters);
    const queue = this.queue();
    if (!queue) throw appError(ErrorCode.INTERNAL_SERVER_ERROR, 'The job queue is not running on this server.');
    const job = await this.db.trainingJob.create({
      data: {
        kind: input.kind,
        task,
        hyperparameters: hyperparameters as Prisma.InputJsonValue,
        activationPolicy: input.activation ?? 'AUTO',
        progress: { stage: 'queued', fraction: 0 },
      },
    });
    const queueJobId = await queue.send(QUEUES.training, { trainingJobId: job.id });
    return this.db.trainingJob.update({ where: { id: job.id }, data: { queueJobId } });
  }

  /**
   * Runs one job to completion. Safe to call again for the same job (a retry after a worker
   * died): a finished job is left alone, a RUNNING one is restarted from the data.
   */
  async runTrainingJob(trainingJobId: string, options: { maxAttempts: number }): Promise<void> {
    const job = await this.db.trainingJob.findUnique({ where: { id: trainingJobId } });
    if (!job || job.status === 'SUCCEEDED' || job.status === 'CANCELLED' || job.status === 'FAILED') return;
    // Delivered again while RUNNING: the worker(s) running it died. Past the attempts, give up clearly.
    // TRAINING_MAX_ATTEMPTS, passed by the worker (its default lives in the configuration only).
    const { maxAttempts } = options;
    if (job.status === 'RUNNING' && job.attempts >= maxAttempts) {
      this.logger.warn({ trainingJobId: job.id, attempts: job.attempts }, 'training abandoned: its workers stopped during training');
      await this.db.trainingJob.update({
        where: { id: job.id },
        data: {
          status: 'FAILED',
          error: `Training was interrupted ${job.attempts} times (the worker process stopped or was killed before finishing); not retried again. Start a new training job.`,
          errorCode: 'TRAINING_INTERRUPTED',
          finishedAt: new Date(),
        },
      });
      return;
    }
    const trainer = this.trainerFor(job.kind);
    await this.db.trainingJob.update({
      where: { id: job.id },
      data: { status: 'RUNNING', startedAt: new Date(), attempts: { increment: 1 }, progress: { stage: 'loading data', fraction: 0 } },
    });
    const log = this.logger.child({ trainingJobId: job.id, kind: job.kind, task: job.task });
    log.info('training started');
    try {
      const trained = await trainer.train({
        db: this.db,
        task: job.task,
        hyperparameters: job.hyperparameters as Record<string, unknown>,
        onProgress: (update) => this.reportProgress(job.id, update, log),
        thread: this.thread,
        backend: this.backend,
      });
      try {
        await this.storeResult(job, trained, log);
      } finally {
        trained.dispose?.();
      }
    } catch (error) {
      const known = error instanceof TrainingInputError;
      const message = error instanceof Error ? error.message : String(error);
      if (!known) log.error({ err: error }, 'training failed');
      else log.warn({ code: error.code, message }, 'training refused');
      await this.db.trainingJob.update({
        where: { id: job.id },
        data: {
          status: 'FAILED',
          error: message,
          errorCode: known ? error.code : ErrorCode.INTERNAL_SERVER_ERROR,
          finishedAt: new Date(),
        },
      });
    }
  }

  private async reportProgress(id: string, update: TrainingProgressUpdate, log: Logger): Promise<void> {
    log.info(update, 'training progress');
    await this.db.trainingJob.update({
      where: { id },
      data: { progress: { ...update, updatedAt: new Date().toISOString() } as Prisma.InputJsonValue },
    });
  }

  private async storeResult(job: TrainingJob, trained: TrainedModel, log: Logger): Promise<void> {
    const activeId = await this.registry.activeVersionId(job.kind, job.task);
    let activate: boolean;
    let decision: string;
    if (job.activationPolicy === 'ALWAYS') {
      activate = true;
      decision = 'activated: policy ALWAYS';
    } else if (job.activationPolicy === 'NEVER') {
      activate = false;
      decision = 'not activated: policy NEVER';
    } else if (!activeId) {
      activate = true;
      decision = 'activated: no version was active';
    } else {
      const activeScore = await trained.evaluateArtifact(await this.registry.loadArtifact(activeId)).catch(() => null);
      const { name, value } = trained.primaryMetric;
      if (activeScore === null) {
        activate = true;
        decision = `activated: the active version could not be evaluated on the new test split`;
      } else {
        activate = value >= activeScore;
        decision = `${activate ? 'activated' : 'not activated'}: ${name} ${value.toFixed(4)} vs active ${activeScore.toFixed(4)} on the new test split`;
      }
    }

    const version = await this.db.$transaction(async (tx) => {
      await tx.$executeRaw`SELECT pg_advisory_xact_lock(hashtext(${`${job.kind}:${job.task}`}))`;
      const latest = await tx.modelVersion.aggregate({ where: { kind: job.kind, task: job.task }, _max: { version: true } });
      const created = await tx.modelVersion.create({
        data: {
          kind: job.kind,
          task: job.task,
          version: (latest._max.version ?? 0) + 1,
          hyperparameters: trained.hyperparameters as Prisma.InputJsonValue,
          metrics: trained.metrics as Prisma.InputJsonValue,
          dataStats: trained.dataStats as Prisma.InputJsonValue,
          artifact: trained.artifact as Uint8Array<ArrayBuffer>,
          labels: trained.labels,
          backend: trained.backend,
          trainingSeconds: trained.trainingSeconds,
          trainingJobId: job.id,
        },
        select: { id: true, version: true },
      });
      if (activate) {
        await tx.modelVersion.updateMany({ where: { kind: job.kind, task: job.task, active: true }, data: { active: false } });
        await tx.modelVersion.update({ where: { id: created.id }, data: { active: true, activatedAt: new Date() } });
      }
      await tx.trainingJob.update({
        where: { id: job.id },
        data: {
          status: 'SUCCEEDED',
          finishedAt: new Date(),
          activationDecision: decision,
          progress: { stage: 'done', fraction: 1, updatedAt: new Date().toISOString() },
        },
      });
      return created;
    });
    if (activate) this.registry.notifyActivated(job.kind, job.task);
    log.info(
      { version: version.version, decision, metric: trained.primaryMetric, backend: trained.backend, thread: trained.thread, trainingSeconds: trained.trainingSeconds },
      'training finished',
    );
  }

  private trainerFor(kind: ModelKind): ModelTrainer {
    const trainer = this.trainers.get(kind);
    if (!trainer) throw userInputError(`No trainer is available for ${kind} on this server.`, { argument: 'kind' });
    return trainer;
  }
}
