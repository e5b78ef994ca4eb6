import { spawn, type ChildProcess } from 'node:child_process';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createRandom } from '../../src/ml/shared/random.ts';
import { generateFeedbackText } from '../../src/seed/feedback-text.ts';
import { createTestDatabase, type TestDatabase } from '../support/database.ts';
import { startTestServer, type TestServer } from '../support/server.ts';

// Deployment shape of docker-compose: API servers that only enqueue, and a separate worker
// process (`npm run worker`) that trains. Two API servers share one database.
let database: TestDatabase;
let apiA: TestServer;
let apiB: TestServer;
let worker: ChildProcess;
let workerLog = '';

const JOB = `query($id: ID!) { trainingJob(id: $id) { status error modelVersion { id active } } }`;
const CLASSIFY = `{ classify(task: "sentiment", texts: ["送货太慢了"]) { modelVersion { id } } }`;

async function trainAndWait(api: TestServer, activation: string): Promise<{ id: string; active: boolean }> {
  const queued = await api.gql<{ trainModel: { id: string } }>(
    `mutation($a: ActivationPolicy) { trainModel(kind: TEXT_CLASSIFIER, task: "sentiment", activation: $a, hyperparameters: { epochs: 4 }) { id } }`,
    { a: activation },
  );
  const id = queued.data!.trainModel.id;
  for (let i = 0; i < 600; i += 1) {
    const job = await api.gql<{ trainingJob: { status: string; error: string | null; modelVersion: { id: string; active: boolean } | null } }>(JOB, { id });
    const { status, error, modelVersion } = job.data!.trainingJob;
    if (status === 'FAILED') throw new Error(`training failed: ${error}`);
    if (status === 'SUCCEEDED') return modelVersion!;
    await new Promise((resolve) => setTimeout(resolve, 200));
  }
  throw new Error(`training did not finish; worker log:\n${workerLog}`);
}

beforeAll(async () => {
  database = await createTestDatabase();
  apiA = await startTestServer({ WORKER_MODE: 'off' }, { database });
  apiB = await startTestServer({ WORKER_MODE: 'off' }, { database });
  const random = createRandom(5);
  await apiA.gql(`mutation($input: [FeedbackInput!]!) { submitFeedback(input: $input) { created } }`, {
    input: Array.from({ length: 200 }, (_, i) => {
      const row = generateFeedbackText(random, { productName: 'lamp' });
      return { externalId: `w-${i}`, channel: 'REVIEW', text: row.text, labels: [{ task: 'sentiment', label: row.sentiment }] };
    }),
  });
  const root = path.resolve(import.meta.dirname, '../..');
  worker = spawn(process.execPath, ['--import', 'tsx', 'src/worker.ts'], {
    cwd: root,
    env: { ...process.env, DATABASE_URL: database.url, LOG_LEVEL: 'info', NODE_ENV: 'test', ADMIN_API_KEY: apiA.config.ADMIN_API_KEY },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  worker.stdout!.on('data', (chunk: Buffer) => (workerLog += chunk.toString()));
  worker.stderr!.on('data', (chunk: Buffer) => (workerLog += chunk.toString()));
}, 120_000);

afterAll(async () => {
  if (worker && worker.exitCode === null) {
    worker.kill('SIGTERM');
    await new Promise((resolve) => worker.once('exit', resolve));
  }
  await apiA?.stop();
  await apiB?.stop();
  await database?.destroy();
});

describe('separate worker processes', () => {
  it('a job queued by one API server is trained by the worker process and served by another server', async () => {
    const version = await trainAndWait(apiA, 'AUTO');
    expect(version.active).toBe(true);
    // The worker logs this just after committing the version; its piped stdout may lag the commit.
    for (let i = 0; i < 50 && !workerLog.includes('training finished'); i += 1) await new Promise((resolve) => setTimeout(resolve, 100));
    expect(workerLog).toContain('training finished');
    const served = await apiB.gql<{ classify: { modelVersion: { id: string } } }>(CLASSIFY);
    expect(served.errors).toBeUndefined();
    expect(served.data!.classify.modelVersion.id).toBe(version.id);
  });

  it('a version activated through one server is picked up by the other without a restart', async () => {
    const first = (await apiB.gql<{ classify: { modelVersion: { id: string } } }>(CLASSIFY)).data!.classify.modelVersion.id;
    const second = await trainAndWait(apiA, 'NEVER');
    expect(second.active).toBe(false);
    await apiA.gql(`mutation($id: ID!) { activateModel(id: $id) { id } }`, { id: second.id });
    let served = first;
    for (let i = 0; i < 30 && served !== second.id; i += 1) {
      await new Promise((resolve) => setTimeout(resolve, 200));
      served = (await apiB.gql<{ classify: { modelVersion: { id: string } } }>(CLASSIFY)).data!.classify.modelVersion.id;
    }
    expect(served).toBe(second.id);
  });

  it('stops gracefully on SIGTERM', async () => {
    worker.kill('SIGTERM');
    const code = await new Promise<number | null>((resolve) => worker.once('exit', resolve));
    expect(code).toBe(0);
  });
});
