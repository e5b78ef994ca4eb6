import PgBoss from 'pg-boss';
import type { Config } from '../config.ts';
import type { Logger } from '../logger.ts';

/** Queue names; each maps to one handler registered by the worker. */
export const QUEUES = {
  training: 'model-training',
  reclassify: 'feedback-reclassify',
} as const;
export type QueueName = (typeof QUEUES)[keyof typeof QUEUES];

export interface TrainingMessage {
  trainingJobId: string;
}
export interface ReclassifyMessage {
  task: string;
  modelVersionId: string;
}

/**
 * pg-boss on the service's own PostgreSQL (schema `pgboss`): jobs survive restarts, any
 * number of worker processes share them, and a job whose worker died is retried.
 */
/** The queue's settings, all from the configuration (their defaults live in config.hardening.ts). */
export type JobQueueConfig = Pick<Config, 'TRAINING_JOB_EXPIRE_SECONDS' | 'JOB_MAINTENANCE_INTERVAL_SECONDS' | 'TRAINING_MAX_ATTEMPTS'>;

export class JobQueue {
  private readonly timers = new Set<NodeJS.Timeout>();
  private stopping = false;

  private constructor(
    private readonly boss: PgBoss,
    private readonly logger: Logger,
  ) {}

  static async start(databaseUrl: string, logger: Logger, config: JobQueueConfig): Promise<JobQueue> {
    const boss = new PgBoss({
      connectionString: databaseUrl,
      max: 3,
      // A worker killed mid-training leaves the job active until it expires; then it is retried.
      // Deliveries after the first = training attempts: the last delivery records the job as FAILED.
      retryLimit: config.TRAINING_MAX_ATTEMPTS,
      retryDelay: 1,
      expireInSeconds: config.TRAINING_JOB_EXPIRE_SECONDS,
      maintenanceIntervalSeconds: config.JOB_MAINTENANCE_INTERVAL_SECONDS,
      // Maintenance and state monitoring are cheap but noisy on the embedded database.
      monitorStateIntervalSeconds: 60,
    });
    boss.on('error', (error) => logger.warn({ err: error }, 'job queue error'));
    await boss.start();
    for (const name of Object.values(QUEUES)) await boss.createQueue(name);
    return new JobQueue(boss, logger);
  }

  async send(queue: QueueName, message: object): Promise<string | null> {
    return this.boss.send(queue, message);
  }

  /** Runs `handler` for jobs of `queue`, one at a time in this process. */
  async work<T extends object>(queue: QueueName, handler: (message: T) => Promise<void>): Promise<void> {
    await this.boss.work<T>(queue, { batchSize: 1, pollingIntervalSeconds: 1 }, async ([job]) => {
      if (job) await handler(job.data);
    });
  }

  /**
   * Runs `task` every `intervalMs` in this process (one run at a time; a failure is logged and
   * the next run comes as planned) until the queue stops. For the workers' periodic maintenance.
   */
  every(intervalMs: number, task: () => Promise<void>): void {
    let running = false;
    const timer = setInterval(() => {
      if (running || this.stopping) return;
      running = true;
      task()
        .catch((error: unknown) => this.logger.warn({ err: error }, 'periodic job maintenance failed'))
        .finally(() => (running = false));
    }, intervalMs);
    timer.unref();
    this.timers.add(timer);
  }

  async stop(): Promise<void> {
    this.stopping = true;
    for (const timer of this.timers) clearInterval(timer);
    this.timers.clear();
    // graceful: lets a running handler finish (or the timeout pass), then releases its job.
    await this.boss.stop({ graceful: true, timeout: 20_000, wait: true });
  }
}
