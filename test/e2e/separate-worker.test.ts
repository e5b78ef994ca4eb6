import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { graphql, type ActivationPolicy } from '../support/graphql.ts';
import { waitForJob } from '../support/jobs.ts';
import type { TestServer } from '../support/server.ts';
import type { SpawnedService } from '../support/spawn.ts';
import { startWorkerDeployment, type WorkerDeployment } from '../support/workers.ts';

// Deployment shape of docker-compose: API servers that only enqueue, and a separate worker
// process (`npm run worker`) that trains. Two API servers share one database.
let deployment: WorkerDeployment;
let apiA: TestServer;
let apiB: TestServer;
let worker: SpawnedService;

const JOB = graphql(`query SeparateWorkerJob($id: ID!) { trainingJob(id: $id) { status error modelVersion { id active } } }`);
const CLASSIFY = graphql(`query SeparateWorkerClassify { classify(task: "sentiment", texts: ["送货太慢了"]) { modelVersion { id } } }`);

const TRAIN = graphql(`
  mutation SeparateWorkerTrain($a: ActivationPolicy) {
    trainModel(kind: TEXT_CLASSIFIER, task: "sentiment", activation: $a, hyperparameters: { epochs: 4 }) { id }
  }
`);

async function trainAndWait(api: TestServer, activation: ActivationPolicy) {
  const queued = await api.gql(TRAIN, { a: activation });
  const job = await waitForJob(api, JOB, queued.data!.trainModel.id, { context: () => `worker log:\n${worker.output()}` });
  if (job.status === 'FAILED') throw new Error(`training failed: ${job.error}`);
  return job.modelVersion!;
}

beforeAll(async () => {
  deployment = await startWorkerDeployment({ apiServers: 2, feedback: { seed: 5, count: 200, idPrefix: 'w-' } });
  [apiA, apiB] = [deployment.apis[0]!, deployment.apis[1]!];
  worker = await deployment.startWorker('worker');
}, 120_000);

afterAll(async () => {
  await deployment?.stop();
});

describe('separate worker processes', () => {
  it('a job queued by one API server is trained by the worker process and served by another server', async () => {
    const version = await trainAndWait(apiA, 'AUTO');
    expect(version.active).toBe(true);
    // The worker logs this just after committing the version; its piped stdout may lag the commit.
    await worker.waitForOutput('training finished', 5_000).catch(() => undefined);
    expect(worker.output()).toContain('training finished');
    const served = await apiB.gql(CLASSIFY);
    expect(served.errors).toBeUndefined();
    expect(served.data!.classify.modelVersion.id).toBe(version.id);
  });

  it('a version activated through one server is picked up by the other without a restart', async () => {
    const first = (await apiB.gql(CLASSIFY)).data!.classify.modelVersion.id;
    const second = await trainAndWait(apiA, 'NEVER');
    expect(second.active).toBe(false);
    await apiA.gql(graphql(`mutation SeparateWorkerActivateModelById($id: ID!) { activateModel(id: $id) { id } }`), { id: second.id });
    let served = first;
    for (let i = 0; i < 30 && served !== second.id; i += 1) {
      await new Promise((resolve) => setTimeout(resolve, 200));
      served = (await apiB.gql(CLASSIFY)).data!.classify.modelVersion.id;
    }
    expect(served).toBe(second.id);
  });

  it('stops gracefully on SIGTERM', async () => {
    expect(await worker.stop('SIGTERM')).toBe(0);
  });
});
