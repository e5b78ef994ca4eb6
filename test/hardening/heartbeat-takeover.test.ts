import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createServices } from '../../src/app/services.ts';
import type { TestDatabase } from '../support/database.ts';
import { graphql, type ResultOf } from '../support/graphql.ts';
import { waitForJob } from '../support/jobs.ts';
import type { TestServer } from '../support/server.ts';
import { startWorkerDeployment, type WorkerDeployment } from '../support/workers.ts';

// Fault test: `kill -9` of the worker process in the middle of a training job, with pg-boss'
// expiry far away (an hour). The killed worker's heartbeat goes stale; a second worker's
// maintenance takes the job over and trains it to the end, long before the expiry.
const STALE_SECONDS = 10;
const QUEUE_ENV = {
  TRAINING_JOB_EXPIRE_SECONDS: '3600',
  JOB_MAINTENANCE_INTERVAL_SECONDS: '60',
  TRAINING_HEARTBEAT_STALE_SECONDS: String(STALE_SECONDS),
};

let deployment: WorkerDeployment;
let database: TestDatabase;
let api: TestServer;

const JOB = graphql(`query HeartbeatTakeoverJob($id: ID!) { trainingJob(id: $id) { status error attempts heartbeatAt progress { stage epoch } modelVersion { id } } }`);
const TRAIN = graphql(`
  mutation HeartbeatTakeoverTrain($h: JSONObject) {
    trainModel(kind: TEXT_CLASSIFIER, task: "sentiment", hyperparameters: $h, activation: NEVER) { id }
  }
`);
type Job = NonNullable<ResultOf<typeof JOB>['trainingJob']>;

const until = (id: string, done: (job: Job) => boolean, seconds: number): Promise<Job> =>
  waitForJob(api, JOB, id, { until: done, timeoutMs: seconds * 1000, context: () => `log:\n${deployment.logTail()}` });

beforeAll(async () => {
  deployment = await startWorkerDeployment({ env: QUEUE_ENV, feedback: { seed: 12, count: 400, idPrefix: 'h-' } });
  ({ database, api } = deployment);
}, 120_000);

afterAll(async () => {
  await deployment?.stop();
});

describe('a training job whose worker stops sending heartbeats', () => {
  it('is taken over by another worker and finishes long before the queue expiry', async () => {
    const first = await deployment.startWorker('worker-1');
    const queued = await api.gql(TRAIN, { h: { epochs: 40, batchSize: 4, patience: 50 } });
    const id = queued.data!.trainModel.id;
    const running = await until(id, (j) => j.status === 'RUNNING' && (j.progress?.epoch ?? 0) >= 2, 180);
    expect(running.heartbeatAt).not.toBeNull();
    expect(running.attempts).toBe(1);
    await first.kill();

    const second = await deployment.startWorker('worker-2');
    // The job expires in pg-boss only after an hour: finishing within minutes is the heartbeat's doing.
    const finished = await until(id, (j) => j.status === 'SUCCEEDED' || j.status === 'FAILED', 300);
    expect(finished.status, finished.error ?? '').toBe('SUCCEEDED');
    expect(finished.attempts).toBe(2);
    expect(finished.heartbeatAt).toBeNull();
    expect(second.output()).toContain('training taken over');
    expect(second.output()).toContain('training finished');
    // The tests below check the takeover by hand, with no worker of their own around.
    await deployment.killWorkers();
  }, 600_000);

  it('is taken by one worker only when several check at once; past the attempts it is FAILED', async () => {
    const stale = new Date(Date.now() - 3600_000);
    const job = await database.prisma.trainingJob.create({
      data: { kind: 'TEXT_CLASSIFIER', task: 'stale', status: 'RUNNING', attempts: 1, heartbeatAt: stale, hyperparameters: {}, progress: { stage: 'training', fraction: 0.4 } },
    });
    const exhausted = await database.prisma.trainingJob.create({
      data: { kind: 'TEXT_CLASSIFIER', task: 'stale', status: 'RUNNING', attempts: 2, heartbeatAt: stale, hyperparameters: {}, progress: { stage: 'training', fraction: 0.4 } },
    });
    const policy = { maxAttempts: 2, heartbeatStaleSeconds: STALE_SECONDS };
    const checkers = Array.from({ length: 4 }, () => createServices(database.prisma, api.config).models.training);
    const taken = (await Promise.all(checkers.map((training) => training.takeOverStaleJobs(policy)))).flat();
    expect(taken.filter((taken) => taken === job.id)).toEqual([job.id]);
    expect(taken).not.toContain(exhausted.id);

    const requeued = await database.prisma.trainingJob.findUniqueOrThrow({ where: { id: job.id } });
    expect(requeued).toMatchObject({ status: 'QUEUED', attempts: 1, heartbeatAt: null });
    expect((requeued.progress as { stage: string }).stage).toMatch(/queued again: the worker of attempt 1 stopped answering/);
    const failed = await database.prisma.trainingJob.findUniqueOrThrow({ where: { id: exhausted.id } });
    expect(failed).toMatchObject({ status: 'FAILED', errorCode: 'TRAINING_INTERRUPTED' });
    expect(failed.error).toMatch(/interrupted 2 times/);
  });

  it('a delivery of a RUNNING job whose heartbeat is fresh leaves it to its worker', async () => {
    const live = await database.prisma.trainingJob.create({
      data: {
        kind: 'TEXT_CLASSIFIER',
        task: 'sentiment',
        status: 'RUNNING',
        attempts: 1,
        heartbeatAt: new Date(),
        hyperparameters: {},
        progress: { stage: 'training', fraction: 0.4 },
      },
    });
    const training = createServices(database.prisma, api.config).models.training;
    await training.runTrainingJob(live.id, { maxAttempts: 2, heartbeatStaleSeconds: 3600 });
    expect(await database.prisma.trainingJob.findUniqueOrThrow({ where: { id: live.id } })).toMatchObject({ status: 'RUNNING', attempts: 1 });
    expect(await training.takeOverStaleJobs({ maxAttempts: 2, heartbeatStaleSeconds: 3600 })).not.toContain(live.id);
  });
});
