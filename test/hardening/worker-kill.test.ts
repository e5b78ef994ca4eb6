import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createServices } from '../../src/app/services.ts';
import type { TestDatabase } from '../support/database.ts';
import { graphql, type ActivationPolicy, type ResultOf } from '../support/graphql.ts';
import { waitForJob } from '../support/jobs.ts';
import type { TestServer } from '../support/server.ts';
import { startWorkerDeployment, type WorkerDeployment } from '../support/workers.ts';

// Fault test: `kill -9` of the worker process in the middle of a training job. The job expires
// (TRAINING_JOB_EXPIRE_SECONDS, short here) and pg-boss delivers it again; it is retrained once its
// heartbeat is stale (TRAINING_HEARTBEAT_STALE_SECONDS: by that delivery, or by the second worker's
// takeover, whichever comes first; heartbeat-takeover.test.ts tests the takeover alone), and a
// second worker trains it to the end; the version that was active before is never touched and is
// served throughout.
const EXPIRE_SECONDS = 20;
const QUEUE_ENV = { TRAINING_JOB_EXPIRE_SECONDS: String(EXPIRE_SECONDS), JOB_MAINTENANCE_INTERVAL_SECONDS: '1' };

let deployment: WorkerDeployment;
let database: TestDatabase;
let api: TestServer;

const JOB = graphql(`query WorkerKillJob($id: ID!) { trainingJob(id: $id) { status error progress { stage epoch } modelVersion { id active } } }`);
const CLASSIFY = graphql(`query WorkerKillClassify { classify(task: "sentiment", texts: ["送货太慢了", "great product"]) { modelVersion { id } } }`);
const TRAIN = graphql(`
  mutation WorkerKillTrain($h: JSONObject, $a: ActivationPolicy) {
    trainModel(kind: TEXT_CLASSIFIER, task: "sentiment", hyperparameters: $h, activation: $a) { id }
  }
`);
type Job = NonNullable<ResultOf<typeof JOB>['trainingJob']>;

async function train(hyperparameters: Record<string, unknown>, activation: ActivationPolicy): Promise<string> {
  const queued = await api.gql(TRAIN, { h: hyperparameters, a: activation });
  if (!queued.data) throw new Error(JSON.stringify(queued.errors));
  return queued.data.trainModel.id;
}

async function job(id: string): Promise<Job> {
  return (await api.gql(JOB, { id })).data!.trainingJob!;
}

const until = (id: string, done: (job: Job) => boolean, seconds: number): Promise<Job> =>
  waitForJob(api, JOB, id, { until: done, timeoutMs: seconds * 1000, context: () => `log:\n${deployment.logTail()}` });

beforeAll(async () => {
  deployment = await startWorkerDeployment({ env: QUEUE_ENV, feedback: { seed: 11, count: 400, idPrefix: 'k-' } });
  ({ database, api } = deployment);
}, 120_000);

afterAll(async () => {
  await deployment?.stop();
});

describe('a worker killed during training', () => {
  it('the job is retried by another worker and succeeds; the active version is untouched and served', async () => {
    const first = await deployment.startWorker('worker-1');
    const activeId = (await until(await train({ epochs: 2 }, 'ALWAYS'), (j) => j.status === 'SUCCEEDED', 120)).modelVersion!.id;
    expect((await api.gql(CLASSIFY)).data!.classify.modelVersion.id).toBe(activeId);

    // A slow job (many epochs, small batches, no early stopping): kill the worker mid-training.
    const slowId = await train({ epochs: 40, batchSize: 4, patience: 50 }, 'NEVER');
    const running = await until(slowId, (j) => j.status === 'RUNNING' && (j.progress?.epoch ?? 0) >= 2, 120);
    expect(running.status).toBe('RUNNING');
    await first.kill();
    const killedAt = Date.now();

    // While no worker runs it, the job stays RUNNING and the active version is served unchanged.
    expect((await job(slowId)).status).toBe('RUNNING');
    const served = await api.gql(CLASSIFY);
    expect(served.errors).toBeUndefined();
    expect(served.data!.classify.modelVersion.id).toBe(activeId);

    await deployment.startWorker('worker-2');
    const finished = await until(slowId, (j) => j.status === 'SUCCEEDED' || j.status === 'FAILED', EXPIRE_SECONDS + 180);
    console.info(`retried job finished ${((Date.now() - killedAt) / 1000).toFixed(1)} s after the kill (expiry ${EXPIRE_SECONDS} s after its start)`);
    expect(finished.status, finished.error ?? '').toBe('SUCCEEDED');
    expect(finished.modelVersion!.active).toBe(false);
    expect(Date.now() - killedAt).toBeGreaterThan(1000); // it waited for the expiry, not a live worker
    const attempts = await database.pool.query<{ attempts: number }>(`SELECT attempts FROM training_jobs WHERE id = $1`, [
      Buffer.from(slowId, 'base64url').toString().split(':')[1],
    ]);
    expect(attempts.rows[0]!.attempts).toBe(2);
    expect(deployment.log()).toContain('[worker-2]');

    const models = await api.gql(graphql(`query WorkerKillModelsByKindAndTask { models(kind: TEXT_CLASSIFIER, task: "sentiment") { id active } }`));
    expect(models.data!.models.filter((model) => model.active).map((model) => model.id)).toEqual([activeId]);
    expect((await api.gql(CLASSIFY)).data!.classify.modelVersion.id).toBe(activeId);
  }, 400_000);

  it('a job whose workers died TRAINING_MAX_ATTEMPTS times is marked FAILED with a clear message on its next delivery', async () => {
    const stuck = await database.prisma.trainingJob.create({
      data: { kind: 'TEXT_CLASSIFIER', task: 'sentiment', status: 'RUNNING', attempts: 2, hyperparameters: {}, progress: { stage: 'training', fraction: 0.4 } },
    });
    await createServices(database.prisma, api.config).models.training.runTrainingJob(stuck.id, {
      maxAttempts: 2,
      heartbeatStaleSeconds: api.config.TRAINING_HEARTBEAT_STALE_SECONDS,
    });
    const failed = await database.prisma.trainingJob.findUniqueOrThrow({ where: { id: stuck.id } });
    expect(failed.status).toBe('FAILED');
    expect(failed.errorCode).toBe('TRAINING_INTERRUPTED');
    expect(failed.error).toMatch(/interrupted 2 times/);
    expect(failed.attempts).toBe(2);
  });
});
