import { createHash } from 'node:crypto';
import { LockSpace, lockKeys } from '../../db/advisory-locks.ts';
import type { Db } from '../../db/prisma.ts';
import { rawIn } from '../../db/raw.ts';
import type { ActivationPolicy, ModelKind, Prisma, TrainingJob, TrainingOrigin } from '../../generated/prisma/client.ts';
import { appError, ErrorCode, userInputError } from '../../graphql/errors.ts';
import { QUEUES, type JobQueue } from '../../jobs/queue.ts';
import type { Logger } from '../../logger.ts';
import type { BackendPreference } from '../../ml/shared/backend.ts';
import { parseTaskName } from '../common/task-name.ts';
import { BULK_TRANSACTION } from '../common/bulk.ts';
import type { ModelRegistry } from './registry.service.ts';
import { countErased, holdTrainingUsersExclusive, lockModelTask, purgeErasedInactive, recordTrainingUsers } from './erasure.storage.ts';
import { TrainingInputError, type ModelTrainer, type TrainedModel, type TrainingProgressUpdate } from './trainers/trainer.ts';
import type { TrainingThreadMode } from './trainers/trainer.ts';

/** The queue's fairness settings (their defaults live in config.hardening.ts only). */
export interface TrainingQueuePolicy {
  /** TRAINING_MAX_QUEUED_PER_KEY. */
  maxQueuedPerKey: number;
}

/** What a worker passes to runTrainingJob / takeOverStaleJobs (from the configuration). */
export interface TrainingRunPolicy {
  /** TRAINING_MAX_ATTEMPTS. */
  maxAttempts: number;
  /** TRAINING_HEARTBEAT_STALE_SECONDS. */
  heartbeatStaleSeconds: number;
}

/**
 * How often a running job's heartbeat is written, and how often workers look for stale ones:
 * a sixth of the stale threshold, at most every 10 s (60 s stale → 10 s).
 */
export function heartbeatIntervalMs(heartbeatStaleSeconds: number): number {
  return Math.min(10_000, Math.round((heartbeatStaleSeconds * 1000) / 6));
}

/** JSON with object keys sorted at every level: equal values give equal text. */
function canonicalJson(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(canonicalJson).join(',')}]`;
  if (value && typeof value === 'object') {
    const entries = Object.entries(value as Record<string, unknown>)
      .filter(([, item]) => item !== undefined)
      .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
    return `{${entries.map(([key, item]) => `${JSON.stringify(key)}:${canonicalJson(item)}`).join(',')}}`;
  }
  return JSON.stringify(value);
}

/**
 * What makes two trainModel requests identical: kind, task, the hyperparameters with their
 * defaults filled in (so `{}` and the defaults spelled out are the same), activation policy.
 * Retrains queued by eraseUser (origin ERASURE) are identical only to each other.
 */
export function trainingRequestKey(
  kind: ModelKind,
  task: string,
  resolvedHyperparameters: Record<string, unknown>,
  activationPolicy: ActivationPolicy,
  origin: TrainingOrigin = 'REQUEST',
): string {
  const request = { kind, task, hyperparameters: resolvedHyperparameters, activationPolicy, ...(origin === 'REQUEST' ? {} : { origin }) };
  return createHash('sha256').update(canonicalJson(request)).digest('hex');
}

/** A retrain eraseUser queued (or joined, when an identical one was still QUEUED). */
export interface ErasureRetrain {
  trainingJobId: string;
  /** True when this call created the job: it still has to be sent to the queue (sendQueued) after commit. */
  created: boolean;
}

/** The error of a job FAILED with TRAINING_INTERRUPTED, around its attempts (written in SQL). */
const INTERRUPTED = {
  before: 'Training was interrupted ',
  after: ' times (the worker process stopped or was killed before finishing); not retried again. Start a new training job.',
};

/** The run was taken over by another worker (its heartbeat went stale): this one stops quietly. */
class TrainingSupersededError extends Error {
  constructor() {
    super('training superseded: another worker took the job over');
  }
}

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
    private readonly policy: TrainingQueuePolicy,
  ) {
    this.trainers = new Map(trainers.map((trainer) => [trainer.kind, trainer]));
  }

  /**
   * Queues a training job, fairly:
   * - An identical request (same kind, task, resolved hyperparameters and activation policy) while
   *   such a job is still QUEUED returns that job, its `requestCount` one higher, instead of
   *   queuing another. Once a worker has started it (RUNNING: it reads its data snapshot first
   *   thing) a new request queues a new job, as the data may have changed since.
   * - A key may have at most TRAINING_MAX_QUEUED_PER_KEY jobs QUEUED or RUNNING (those it
   *   queued; coalesced requests add none): beyond, TOO_MANY_TRAINING_JOBS (retryable).
   * Both are decided in one transaction under advisory locks (the request's, then the key's, in
   * that order everywhere), so concurrent requests get the same answers as sequential ones.
   */
  async requestTraining(
    input: {
      kind: ModelKind;
      task: string;
      hyperparameters?: Record<string, unknown> | null;
      activation?: ActivationPolicy | null;
    },
    /** The viewer's keyId (`env:ADMIN_API_KEY` for the environment's key); null: no per-key cap. */
    requester: { keyId: string | null },
  ): Promise<TrainingJob> {
    const trainer = this.trainerFor(input.kind);
    // The rule labels are stored under, so every labelled task can be trained.
    const task = parseTaskName(input.task);
    const hyperparameters = input.hyperparameters ?? {};
    const resolved = trainer.validate(task, hyperparameters);
    const activationPolicy = input.activation ?? 'AUTO';
    const requestKey = trainingRequestKey(input.kind, task, resolved, activationPolicy);
    const queue = this.queue();
    if (!queue) throw appError(ErrorCode.INTERNAL_SERVER_ERROR, 'The job queue is not running on this server.');
    const { keyId } = requester;
    const decided = await this.db.$transaction(async (tx) => {
      const queued = await joinQueuedJob(tx, requestKey);
      if (queued) return { outcome: 'coalesced', job: await tx.trainingJob.findUniqueOrThrow({ where: { id: queued } }) } as const;
      if (keyId !== null) {
        await lockKeys(rawIn(tx), [{ space: LockSpace.trainingKeys, keys: [keyId] }]);
        const active = await tx.trainingJob.count({ where: { requestedByKeyId: keyId, status: { in: ['QUEUED', 'RUNNING'] } } });
        // Refused after the transaction, which has written nothing and just commits.
        if (active >= this.policy.maxQueuedPerKey) return { outcome: 'refused', active } as const;
      }
      const job = await tx.trainingJob.create({
        data: {
          kind: input.kind,
          task,
          hyperparameters: hyperparameters as Prisma.InputJsonValue,
          activationPolicy,
          requestKey,
          requestedByKeyId: keyId,
          progress: { stage: 'queued', fraction: 0 },
        },
      });
      return { outcome: 'created', job } as const;
    });
    if (decided.outcome === 'refused') throw tooManyTrainingJobsError(this.policy.maxQueuedPerKey, decided.active);
    if (decided.outcome === 'coalesced') {
      this.logger.info({ trainingJobId: decided.job.id, requestCount: decided.job.requestCount }, 'training request coalesced into a queued job');
      return decided.job;
    }
    const queueJobId = await queue.send(QUEUES.training, { trainingJobId: decided.job.id });
    return this.db.trainingJob.update({ where: { id: decided.job.id }, data: { queueJobId } });
  }

  /**
   * Queues, in the caller's transaction (eraseUser's), a retrain of (kind, task) with the given
   * hyperparameters (the active version's) that is activated when it completes (policy ALWAYS:
   * it replaces a version that must go, even if its metrics are a little lower). A system job:
   * no API key's TRAINING_MAX_QUEUED_PER_KEY share is used, and while one is QUEUED every further
   * erasure joins it (requestCount + 1), so erasing many customers queues one retrain per task.
   * A created job is sent to the queue by sendQueued after the transaction commits (a job left
   * unsent by a crash in between is sent by the workers' periodic check, takeOverStaleJobs).
   */
  async queueErasureRetrain(tx: Prisma.TransactionClient, kind: ModelKind, task: string, hyperparameters: Record<string, unknown>): Promise<ErasureRetrain> {
    const trainer = this.trainerFor(kind);
    let given = hyperparameters;
    let resolved: Record<string, unknown>;
    try {
      resolved = trainer.validate(task, given);
    } catch {
      // Stored before a hyperparameter was renamed or removed: retrain with today's defaults.
      given = {};
      resolved = trainer.validate(task, given);
    }
    const requestKey = trainingRequestKey(kind, task, resolved, 'ALWAYS', 'ERASURE');
    const queued = await joinQueuedJob(tx, requestKey);
    if (queued) return { trainingJobId: queued, created: false };
    const job = await tx.trainingJob.create({
      data: {
        kind,
        task,
        origin: 'ERASURE',
        hyperparameters: given as Prisma.InputJsonValue,
        activationPolicy: 'ALWAYS',
        requestKey,
        requestedByKeyId: null,
        progress: { stage: 'queued', fraction: 0 },
      },
      select: { id: true },
    });
    return { trainingJobId: job.id, created: true };
  }

  /** Sends committed QUEUED jobs (created by queueErasureRetrain) to the job queue. */
  async sendQueued(trainingJobIds: readonly string[]): Promise<void> {
    const queue = this.queue();
    // Without a queue here the jobs stay QUEUED and unsent: a worker's periodic check sends them.
    if (!queue) return;
    for (const id of trainingJobIds) {
      const queueJobId = await queue.send(QUEUES.training, { trainingJobId: id });
      await this.db.trainingJob.updateMany({ where: { id }, data: { queueJobId } });
    }
  }

  /**
   * Runs one job to completion. Safe to call again for the same job (a retry after a worker
   * died): a finished job is left alone, a RUNNING one whose heartbeat is fresh is left to the
   * worker running it, a RUNNING one whose heartbeat is stale (or missing) is restarted from
   * the data. Claiming the job is one guarded UPDATE, so two deliveries never both run it.
   */
  async runTrainingJob(trainingJobId: string, policy: TrainingRunPolicy): Promise<void> {
    const { maxAttempts, heartbeatStaleSeconds } = policy;
    // Delivered again while RUNNING with a stale heartbeat: the worker(s) running it died. Past the attempts, give up clearly.
    const [abandoned] = await this.db.$queryRaw<EndedJob[]>`
      UPDATE training_jobs
      SET status = 'FAILED', error_code = 'TRAINING_INTERRUPTED', finished_at = now(), heartbeat_at = NULL,
          error = ${INTERRUPTED.before}::text || attempts::text || ${INTERRUPTED.after}::text
      WHERE id = ${trainingJobId}::uuid AND status = 'RUNNING' AND attempts >= ${maxAttempts}
        AND (heartbeat_at IS NULL OR heartbeat_at < now() - make_interval(secs => ${heartbeatStaleSeconds}))
      RETURNING id::text, attempts, kind::text AS kind, task, origin::text AS origin`;
    if (abandoned) {
      this.logger.warn({ trainingJobId, attempts: abandoned.attempts }, 'training abandoned: its workers stopped during training');
      await this.afterFailure(abandoned);
      return;
    }
    const [claimed] = await this.db.$queryRaw<{ attempts: number }[]>`
      UPDATE training_jobs
      SET status = 'RUNNING', started_at = now(), heartbeat_at = now(), attempts = attempts + 1,
          progress = ${JSON.stringify({ stage: 'loading data', fraction: 0 })}::jsonb
      WHERE id = ${trainingJobId}::uuid
        AND (status = 'QUEUED' OR (status = 'RUNNING' AND (heartbeat_at IS NULL OR heartbeat_at < now() - make_interval(secs => ${heartbeatStaleSeconds}))))
      RETURNING attempts`;
    if (!claimed) {
      // Finished, cancelled, unknown, or RUNNING on a live worker (a redelivery after expiry).
      this.logger.info({ trainingJobId }, 'training job not started: it is finished or another worker is running it');
      return;
    }
    const job = await this.db.trainingJob.findUniqueOrThrow({ where: { id: trainingJobId } });
    const attempt = claimed.attempts;
    const trainer = this.trainerFor(job.kind);
    const log = this.logger.child({ trainingJobId: job.id, kind: job.kind, task: job.task, attempt });
    log.info('training started');
    // The heartbeat, from this (main) thread while the compute runs on its own; a run taken over
    // by another worker meanwhile (this one looked dead) is aborted and stores nothing.
    const abort = new AbortController();
    const heartbeat = setInterval(() => {
      // The database's clock, as the staleness checks use it.
      this.db.$executeRaw`UPDATE training_jobs SET heartbeat_at = now() WHERE id = ${job.id}::uuid AND status = 'RUNNING' AND attempts = ${attempt}`
        .then((count) => {
          if (count === 0 && !abort.signal.aborted) {
            log.warn('training superseded: the job was taken over or ended elsewhere; stopping this run');
            abort.abort(new TrainingSupersededError());
          }
        })
        .catch((error: unknown) => log.warn({ err: error }, 'training heartbeat failed'));
    }, heartbeatIntervalMs(heartbeatStaleSeconds));
    heartbeat.unref();
    try {
      const trained = await trainer.train({
        db: this.db,
        task: job.task,
        hyperparameters: job.hyperparameters as Record<string, unknown>,
        onProgress: (update) => this.reportProgress(job.id, attempt, update, log),
        signal: abort.signal,
        thread: this.thread,
        backend: this.backend,
      });
      try {
        await this.storeResult(job, attempt, trained, log);
      } finally {
        trained.dispose?.();
      }
    } catch (error) {
      if (error instanceof TrainingSupersededError || abort.signal.aborted) {
        log.warn('training run ended without a result: another worker has the job');
        return;
      }
      const known = error instanceof TrainingInputError;
      const message = error instanceof Error ? error.message : String(error);
      if (!known) log.error({ err: error }, 'training failed');
      else log.warn({ code: error.code, message }, 'training refused');
      const failed = await this.db.trainingJob.updateMany({
        where: { id: job.id, status: 'RUNNING', attempts: attempt },
        data: {
          status: 'FAILED',
          error: message,
          errorCode: known ? error.code : ErrorCode.INTERNAL_SERVER_ERROR,
          finishedAt: new Date(),
          heartbeatAt: null,
        },
      });
      if (failed.count === 1) await this.afterFailure(job);
    } finally {
      clearInterval(heartbeat);
    }
  }

  /**
   * The workers' periodic check: RUNNING jobs whose heartbeat is older than
   * TRAINING_HEARTBEAT_STALE_SECONDS lost their worker. Each such attempt counts as interrupted:
   * past TRAINING_MAX_ATTEMPTS the job is FAILED (TRAINING_INTERRUPTED), otherwise it is QUEUED
   * again and sent to the queue. Each UPDATE re-checks the stale condition row by row, so of
   * two workers checking at once only one takes a job. Returns the ids queued again. A RUNNING
   * job without any heartbeat (started before heartbeats existed) is left to the queue's expiry.
   */
  async takeOverStaleJobs(policy: TrainingRunPolicy): Promise<string[]> {
    const { maxAttempts, heartbeatStaleSeconds } = policy;
    const failed = await this.db.$queryRaw<EndedJob[]>`
      UPDATE training_jobs
      SET status = 'FAILED', error_code = 'TRAINING_INTERRUPTED', finished_at = now(), heartbeat_at = NULL,
          error = ${INTERRUPTED.before}::text || attempts::text || ${INTERRUPTED.after}::text
      WHERE status = 'RUNNING' AND attempts >= ${maxAttempts} AND heartbeat_at < now() - make_interval(secs => ${heartbeatStaleSeconds})
      RETURNING id::text, attempts, kind::text AS kind, task, origin::text AS origin`;
    for (const job of failed) {
      this.logger.warn({ trainingJobId: job.id, attempts: job.attempts }, 'training abandoned: its workers stopped during training');
      await this.afterFailure(job);
    }
    // QUEUED jobs never sent to the queue (the process stopped between commit and send, e.g.
    // after eraseUser queued a retrain): sent now. A second delivery is harmless (claimed once).
    const unsent = await this.db.$queryRaw<{ id: string }[]>`
      SELECT id::text FROM training_jobs
      WHERE status = 'QUEUED' AND queue_job_id IS NULL AND created_at < now() - make_interval(secs => ${heartbeatStaleSeconds})`;
    if (unsent.length) {
      this.logger.warn({ trainingJobIds: unsent.map((job) => job.id) }, 'queued training jobs that were never sent to the queue: sending them');
      await this.sendQueued(unsent.map((job) => job.id));
    }
    const requeued = await this.db.$queryRaw<{ id: string; attempts: number }[]>`
      UPDATE training_jobs
      SET status = 'QUEUED', heartbeat_at = NULL,
          progress = jsonb_build_object('stage', 'queued again: the worker of attempt ' || attempts || ' stopped answering', 'fraction', 0, 'updatedAt', to_char(now() AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"'))
      WHERE status = 'RUNNING' AND attempts < ${maxAttempts} AND heartbeat_at < now() - make_interval(secs => ${heartbeatStaleSeconds})
      RETURNING id::text, attempts`;
    const queue = this.queue();
    for (const job of requeued) {
      this.logger.warn({ trainingJobId: job.id, interruptedAttempt: job.attempts }, 'training taken over: its worker stopped sending heartbeats; queued again');
      // Without a queue here the job stays QUEUED: its old queue job's expiry delivers it again.
      if (!queue) continue;
      const queueJobId = await queue.send(QUEUES.training, { trainingJobId: job.id });
      await this.db.trainingJob.updateMany({ where: { id: job.id }, data: { queueJobId } });
    }
    return requeued.map((job) => job.id);
  }

  /**
   * A retrain eraseUser queued has failed for good (no usable data left, interrupted too often,
   * ...): the version it was to replace must not keep serving, so the task's active version, if
   * trained on an erased customer, is deactivated and purged; the task has no active model then.
   */
  private async afterFailure(job: Pick<EndedJob, 'id' | 'kind' | 'task' | 'origin'>): Promise<void> {
    if (job.origin !== 'ERASURE') return;
    if (await this.registry.retireErasedActive(job.kind, job.task)) {
      this.logger.warn(
        { trainingJobId: job.id, kind: job.kind, task: job.task },
        'erasure retrain failed: the active version trained on an erased customer was deactivated and purged',
      );
    }
  }

  private async reportProgress(id: string, attempt: number, update: TrainingProgressUpdate, log: Logger): Promise<void> {
    log.info(update, 'training progress');
    await this.db.trainingJob.updateMany({
      where: { id, status: 'RUNNING', attempts: attempt },
      data: { progress: { ...update, updatedAt: new Date().toISOString() } as Prisma.InputJsonValue },
    });
  }

  private async storeResult(job: TrainingJob, attempt: number, trained: TrainedModel, log: Logger): Promise<void> {
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
      const activeScore = await this.registry
        .loadArtifact(activeId)
        .then((artifact) => trained.evaluateArtifact(artifact))
        .catch(() => null);
      const { name, value } = trained.primaryMetric;
      if (activeScore === null) {
        activate = true;
        decision = `activated: the active version could not be evaluated on the new test split`;
      } else {
        activate = value >= activeScore;
        decision = `${activate ? 'activated' : 'not activated'}: ${name} ${value.toFixed(4)} vs active ${activeScore.toFixed(4)} on the new test split`;
      }
    }

    const trainedOn = trained.trainedOnUserIds;
    const stored = await this.db.$transaction(async (tx) => {
      // Still this run's job (not taken over by another worker): the row stays locked until commit.
      const claimed = await tx.trainingJob.updateMany({ where: { id: job.id, status: 'RUNNING', attempts: attempt }, data: { heartbeatAt: null } });
      if (claimed.count === 0) throw new TrainingSupersededError();
      // Erasures in flight finish first; from here on none starts until this commits (see
      // erasure.storage.ts). Its data was read before: if any customer in it has been erased
      // since, the version is stored PURGED (no artifact, never activated).
      await holdTrainingUsersExclusive(tx);
      const erasedMeanwhile = trainedOn ? await countErased(tx, trainedOn) : 0;
      const purged = erasedMeanwhile > 0;
      const activates = activate && !purged;
      const finalDecision = purged
        ? `not activated: ${erasedMeanwhile} customer(s) in its training data were erased while it trained; stored PURGED${job.origin === 'ERASURE' ? ', retrain queued again' : ''}`
        : decision;
      await tx.trainingJob.update({
        where: { id: job.id },
        data: {
          status: 'SUCCEEDED',
          finishedAt: new Date(),
          activationDecision: finalDecision,
          progress: { stage: 'done', fraction: 1, updatedAt: new Date().toISOString() },
        },
      });
      await lockModelTask(tx, job.kind, job.task);
      const latest = await tx.modelVersion.aggregate({ where: { kind: job.kind, task: job.task }, _max: { version: true } });
      const created = await tx.modelVersion.create({
        data: {
          kind: job.kind,
          task: job.task,
          version: (latest._max.version ?? 0) + 1,
          hyperparameters: trained.hyperparameters as Prisma.InputJsonValue,
          metrics: trained.metrics as Prisma.InputJsonValue,
          dataStats: trained.dataStats as Prisma.InputJsonValue,
          artifact: purged ? null : (trained.artifact as Uint8Array<ArrayBuffer>),
          status: purged ? 'PURGED' : 'READY',
          purgedAt: purged ? new Date() : null,
          trainingUsersRecorded: trainedOn !== undefined,
          labels: trained.labels,
          backend: trained.backend,
          trainingSeconds: trained.trainingSeconds,
          trainingJobId: job.id,
        },
        select: { id: true, version: true },
      });
      if (trainedOn) await recordTrainingUsers(tx, created.id, trainedOn);
      let replacedPurged = 0;
      if (activates) {
        await tx.modelVersion.updateMany({ where: { kind: job.kind, task: job.task, active: true }, data: { active: false } });
        await tx.modelVersion.update({ where: { id: created.id }, data: { active: true, activatedAt: new Date() } });
        // The version it replaces goes now if it was trained on an erased customer.
        replacedPurged = await purgeErasedInactive(tx, job.kind, job.task);
      }
      // An erasure's retrain that read an erased customer's data: the version it was to replace
      // still has to go, so the retrain is queued again (or joins one queued since).
      const retrain = purged && job.origin === 'ERASURE' ? await this.queueErasureRetrain(tx, job.kind, job.task, job.hyperparameters as Record<string, unknown>) : null;
      return { version: created, activates, decision: finalDecision, replacedPurged, retrain };
      // Bulk writes' bounds, not Prisma's 5 s default: megabytes of artifact and a row per training
      // customer, on a machine busy training, had outlasted it and lost the finished version.
    }, BULK_TRANSACTION);
    if (stored.retrain?.created) await this.sendQueued([stored.retrain.trainingJobId]);
    if (stored.activates) this.registry.notifyActivated(job.kind, job.task);
    log.info(
      {
        version: stored.version.version,
        decision: stored.decision,
        purgedVersions: stored.replacedPurged,
        metric: trained.primaryMetric,
        backend: trained.backend,
        thread: trained.thread,
        trainingSeconds: trained.trainingSeconds,
      },
      'training finished',
    );
  }

  private trainerFor(kind: ModelKind): ModelTrainer {
    const trainer = this.trainers.get(kind);
    if (!trainer) throw userInputError(`No trainer is available for ${kind} on this server.`, { argument: 'kind' });
    return trainer;
  }
}

/** A training job as an UPDATE ... RETURNING that ended it reports it. */
interface EndedJob {
  id: string;
  attempts: number;
  kind: ModelKind;
  task: string;
  origin: TrainingOrigin;
}

/**
 * The coalescing rule, in the caller's transaction: under the request's advisory lock, a job of
 * this requestKey still QUEUED takes the request (its requestCount + 1) and its id is returned;
 * null when there is none (the caller queues a new job, still under the lock).
 */
async function joinQueuedJob(tx: Prisma.TransactionClient, requestKey: string): Promise<string | null> {
  await lockKeys(rawIn(tx), [{ space: LockSpace.trainingRequests, keys: [requestKey] }]);
  const queued = await tx.trainingJob.findFirst({ where: { requestKey, status: 'QUEUED' }, orderBy: { createdAt: 'asc' }, select: { id: true } });
  if (!queued) return null;
  // Still QUEUED when counted (a worker may have claimed it since the read): else queue anew.
  const counted = await tx.trainingJob.updateMany({ where: { id: queued.id, status: 'QUEUED' }, data: { requestCount: { increment: 1 } } });
  return counted.count === 1 ? queued.id : null;
}

/** TOO_MANY_TRAINING_JOBS: the key has its share of the queue; retry once one of its jobs ends. */
export function tooManyTrainingJobsError(maxQueuedPerKey: number, queuedOrRunning: number) {
  return appError(
    ErrorCode.TOO_MANY_TRAINING_JOBS,
    `This API key already has ${queuedOrRunning} training jobs queued or running, the most one key may have (TRAINING_MAX_QUEUED_PER_KEY = ${maxQueuedPerKey}). Retry when one of them has finished.`,
    { retryable: true, maxQueuedPerKey, queuedOrRunning },
  );
}
