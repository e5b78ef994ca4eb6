import { spawn, type ChildProcess } from 'node:child_process';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createRandom } from '../../src/ml/shared/random.ts';
import { createServices } from '../../src/app/services.ts';
import { generateFeedbackText } from '../../src/seed/feedback-text.ts';
import { createTestDatabase, type TestDatabase } from '../support/database.ts';
import { startTestServer, type TestServer } from '../support/server.ts';

// Fault test: `kill -9` of the worker process in the middle of a training job. The job expires
// (TRAINING_JOB_EXPIRE_SECONDS, short here), pg-boss retries it, a second worker trains it to the
// end; the version that was active before is never touched and is served throughout.
const EXPIRE_SECONDS = 20;
const QUEUE_ENV = { TRAINING_JOB_EXPIRE_SECONDS: String(EXPIRE_SECONDS), JOB_MAINTENANCE_INTERVAL_SECONDS: '1' };

let database: TestDatabase;
let api: TestServer;
const workers: ChildProcess[] = [];
let log = '';

function startWorker(name: string): ChildProcess {
  const worker = spawn(process.execPath, ['--import', 'tsx', 'src/worker.ts'], {
    cwd: path.resolve(import.meta.dirname, '../..'),
    env: { ...process.env, ...QUEUE_ENV, DATABASE_URL: database.url, LOG_LEVEL: 'info', NODE_ENV: 'test', ADMIN_API_KEY: api.config.ADMIN_API_KEY },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  worker.stdout!.on('data', (chunk: Buffer) => (log += `[${name}] ${chunk.toString()}`));
  worker.stderr!.on('data', (chunk: Buffer) => (log += `[${name}] ${chunk.toString()}`));
  workers.push(worker);
  return worker;
}

interface Job {
  status: string;
  error: string | null;
  progress: { stage: string | null; epoch: number | null } | null;
  modelVersion: { id: string; active: boolean } | null;
}
const JOB = `query($id: ID!) { trainingJob(id: $id) { status error progress { stage epoch } modelVersion { id active } } }`;
const CLASSIFY = `{ classify(task: "sentiment", texts: ["送货太慢了", "great product"]) { modelVersion { id } } }`;

async function train(hyperparameters: Record<string, unknown>, activation: string): Promise<string> {
  const queued = await api.gql<{ trainModel: { id: string } }>(
    `mutation($h: JSONObject, $a: ActivationPolicy) { trainModel(kind: TEXT_CLASSIFIER, task: "sentiment", hyperparameters: $h, activation: $a) { id } }`,
    { h: hyperparameters, a: activation },
  );
  if (!queued.data) throw new Error(JSON.stringify(queued.errors));
  return queued.data.trainModel.id;
}

async function job(id: string): Promise<Job> {
  return (await api.gql<{ trainingJob: Job }>(JOB, { id })).data!.trainingJob;
}

async function until(id: string, done: (job: Job) => boolean, seconds: number): Promise<Job> {
  const deadline = Date.now() + seconds * 1000;
  for (;;) {
    const current = await job(id);
    // On the embedded database a poll has been seen to answer null for a stored job under heavy
    // parallel load (an open issue of the PGlite socket path): poll again rather than crash.
    if (current && done(current)) return current;
    if (Date.now() > deadline) throw new Error(`job ${id} is ${JSON.stringify(current)} after ${seconds} s; log:\n${log.slice(-4000)}`);
    await new Promise((resolve) => setTimeout(resolve, 200));
  }
}

beforeAll(async () => {
  database = await createTestDatabase();
  api = await startTestServer({ WORKER_MODE: 'off', ...QUEUE_ENV }, { database });
  const random = createRandom(11);
  await api.gql(`mutation($input: [FeedbackInput!]!) { submitFeedback(input: $input) { created } }`, {
    input: Array.from({ length: 400 }, (_, i) => {
      const row = generateFeedbackText(random, { productName: 'lamp' });
      return { externalId: `k-${i}`, channel: 'REVIEW', text: row.text, labels: [{ task: 'sentiment', label: row.sentiment }] };
    }),
  });
}, 120_000);

afterAll(async () => {
  for (const worker of workers) {
    if (worker.exitCode === null && worker.signalCode === null) {
      worker.kill('SIGKILL');
      await new Promise((resolve) => worker.once('exit', resolve));
    }
  }
  await api?.stop();
  await database?.destroy();
});

describe('a worker killed during training', () => {
  it('the job is retried by another worker and succeeds; the active version is untouched and served', async () => {
    const first = startWorker('worker-1');
    const activeId = (await until(await train({ epochs: 2 }, 'ALWAYS'), (j) => j.status === 'SUCCEEDED', 120)).modelVersion!.id;
    expect((await api.gql<{ classify: { modelVersion: { id: string } } }>(CLASSIFY)).data!.classify.modelVersion.id).toBe(activeId);

    // A slow job (many epochs, small batches, no early stopping): kill the worker mid-training.
    const slowId = await train({ epochs: 40, batchSize: 4, patience: 50 }, 'NEVER');
    const running = await until(slowId, (j) => j.status === 'RUNNING' && (j.progress?.epoch ?? 0) >= 2, 120);
    expect(running.status).toBe('RUNNING');
    first.kill('SIGKILL');
    await new Promise((resolve) => first.once('exit', resolve));
    const killedAt = Date.now();

    // While no worker runs it, the job stays RUNNING and the active version is served unchanged.
    expect((await job(slowId)).status).toBe('RUNNING');
    const served = await api.gql<{ classify: { modelVersion: { id: string } } }>(CLASSIFY);
    expect(served.errors).toBeUndefined();
    expect(served.data!.classify.modelVersion.id).toBe(activeId);

    startWorker('worker-2');
    const finished = await until(slowId, (j) => j.status === 'SUCCEEDED' || j.status === 'FAILED', EXPIRE_SECONDS + 180);
    console.info(`retried job finished ${((Date.now() - killedAt) / 1000).toFixed(1)} s after the kill (expiry ${EXPIRE_SECONDS} s after its start)`);
    expect(finished.status, finished.error ?? '').toBe('SUCCEEDED');
    expect(finished.modelVersion!.active).toBe(false);
    expect(Date.now() - killedAt).toBeGreaterThan(1000); // it waited for the expiry, not a live worker
    const attempts = await database.pool.query<{ attempts: number }>(`SELECT attempts FROM training_jobs WHERE id = $1`, [
      Buffer.from(slowId, 'base64url').toString().split(':')[1],
    ]);
    expect(attempts.rows[0]!.attempts).toBe(2);
    expect(log).toContain('[worker-2]');

    const models = await api.gql<{ models: { id: string; active: boolean }[] }>(`{ models(kind: TEXT_CLASSIFIER, task: "sentiment") { id active } }`);
    expect(models.data!.models.filter((model) => model.active).map((model) => model.id)).toEqual([activeId]);
    expect((await api.gql<{ classify: { modelVersion: { id: string } } }>(CLASSIFY)).data!.classify.modelVersion.id).toBe(activeId);
  }, 400_000);

  it('a job whose workers died TRAINING_MAX_ATTEMPTS times is marked FAILED with a clear message on its next delivery', async () => {
    const stuck = await database.prisma.trainingJob.create({
      data: { kind: 'TEXT_CLASSIFIER', task: 'sentiment', status: 'RUNNING', attempts: 2, hyperparameters: {}, progress: { stage: 'training', fraction: 0.4 } },
    });
    await createServices(database.prisma, api.config).models.training.runTrainingJob(stuck.id, { maxAttempts: 2 });
    const failed = await database.prisma.trainingJob.findUniqueOrThrow({ where: { id: stuck.id } });
    expect(failed.status).toBe('FAILED');
    expect(failed.errorCode).toBe('TRAINING_INTERRUPTED');
    expect(failed.error).toMatch(/interrupted 2 times/);
    expect(failed.attempts).toBe(2);
  });
});
