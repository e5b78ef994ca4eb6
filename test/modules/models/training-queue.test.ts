import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { graphql, type ActivationPolicy } from '../../support/graphql.ts';
import { startTestServer, type GraphQLResponse, type TestServer } from '../../support/server.ts';

// The training queue is fair: identical requests while a job is still QUEUED share that job,
// and each API key may have at most TRAINING_MAX_QUEUED_PER_KEY jobs QUEUED or RUNNING.
// No worker runs here (WORKER_MODE=off), so queued jobs stay QUEUED until a test moves them.
const MAX_PER_KEY = 2;

const TRAIN = graphql(`mutation TrainingQueueTrain($task: String!, $hp: JSONObject, $activation: ActivationPolicy) {
  trainModel(kind: TEXT_CLASSIFIER, task: $task, hyperparameters: $hp, activation: $activation) { id status requestCount hyperparameters activationPolicy }
}`);

let api: TestServer;

beforeAll(async () => {
  api = await startTestServer({ WORKER_MODE: 'off', TRAINING_MAX_QUEUED_PER_KEY: String(MAX_PER_KEY) });
});

afterAll(async () => {
  await api?.stop();
});

type Train = { task: string; hp?: Record<string, unknown>; activation?: ActivationPolicy };
type TrainResult = GraphQLResponse<{ trainModel: { id: string; status: string; requestCount: number } }>;

const train = (key: string, request: Train): Promise<TrainResult> => api.gqlAs(key, TRAIN, { task: request.task, hp: request.hp ?? {}, activation: request.activation ?? 'AUTO' });

function jobId(result: TrainResult): string {
  if (!result.data) throw new Error(JSON.stringify(result.errors));
  return result.data.trainModel.id;
}

const localId = (globalId: string) => Buffer.from(globalId, 'base64url').toString().split(':')[1]!;

async function setStatus(globalId: string, status: 'RUNNING' | 'SUCCEEDED' | 'CANCELLED') {
  await api.database.prisma.trainingJob.update({ where: { id: localId(globalId) }, data: { status } });
}

async function newKey(name: string): Promise<string> {
  return (await api.createKey('ANALYST', name)).secret;
}

describe('identical training requests', () => {
  it('while a job is QUEUED return that job, counting the requests; defaults spelled out are the same request', async () => {
    const key = await newKey('coalesce sequential');
    const first = await train(key, { task: 'coalesce-a', hp: {} });
    expect(first.errors).toBeUndefined();
    expect(first.data!.trainModel).toMatchObject({ status: 'QUEUED', requestCount: 1 });

    const again = await train(key, { task: 'coalesce-a', hp: {} });
    // The default epochs (12) and learning rate (0.01) written out resolve to the same hyperparameters.
    const spelledOut = await train(key, { task: 'coalesce-a', hp: { learningRate: 0.01, epochs: 12 } });
    expect(jobId(again)).toBe(jobId(first));
    expect(jobId(spelledOut)).toBe(jobId(first));
    expect(spelledOut.data!.trainModel).toMatchObject({ status: 'QUEUED', requestCount: 3, hyperparameters: {} });

    // Another activation policy, other hyperparameters or another task is another request.
    const never = await train(key, { task: 'coalesce-a', activation: 'NEVER' });
    expect(jobId(never)).not.toBe(jobId(first));
    expect(never.data!.trainModel.requestCount).toBe(1);
    const otherKey = await newKey('coalesce sequential 2');
    const moreEpochs = await train(otherKey, { task: 'coalesce-a', hp: { epochs: 3 } });
    expect(jobId(moreEpochs)).not.toBe(jobId(first));
    expect(jobId(await train(otherKey, { task: 'coalesce-b', hp: {} }))).not.toBe(jobId(first));
    // Coalesced requests used none of the key's queue share: it holds exactly MAX_PER_KEY jobs now.
    expect((await train(key, { task: 'coalesce-c' })).errors?.[0]?.extensions?.code).toBe('TOO_MANY_TRAINING_JOBS');
    expect(jobId(await train(key, { task: 'coalesce-a', hp: {} }))).toBe(jobId(first));
  });

  it('once the job has started (RUNNING), queue a new job: it may read newer data', async () => {
    const key = await newKey('coalesce running');
    const first = jobId(await train(key, { task: 'coalesce-running' }));
    await setStatus(first, 'RUNNING');
    const second = await train(key, { task: 'coalesce-running' });
    expect(jobId(second)).not.toBe(first);
    expect(second.data!.trainModel).toMatchObject({ status: 'QUEUED', requestCount: 1 });
  });

  it('coalesce across keys too: the job is shared work, counted for the key that queued it', async () => {
    const [owner, other] = [await newKey('coalesce owner'), await newKey('coalesce other')];
    const first = jobId(await train(owner, { task: 'coalesce-shared' }));
    const second = await train(other, { task: 'coalesce-shared' });
    expect(jobId(second)).toBe(first);
    expect(second.data!.trainModel.requestCount).toBe(2);
    const stored = await api.database.prisma.trainingJob.findUniqueOrThrow({ where: { id: localId(first) } });
    expect(stored.requestedByKeyId).toBe((await api.database.prisma.apiKey.findFirstOrThrow({ where: { name: 'coalesce owner' } })).id);
  });

  it('sent concurrently end with one job, whatever the number of requests', async () => {
    const key = await newKey('coalesce concurrent');
    const count = 12;
    const results = await Promise.all(Array.from({ length: count }, () => train(key, { task: 'coalesce-concurrent', hp: { epochs: 5 } })));
    for (const result of results) expect(result.errors).toBeUndefined();
    const ids = new Set(results.map(jobId));
    expect(ids.size).toBe(1);
    const stored = await api.database.prisma.trainingJob.findMany({ where: { task: 'coalesce-concurrent' } });
    expect(stored).toHaveLength(1);
    expect(stored[0]!.requestCount).toBe(count);
    expect(Math.max(...results.map((result) => result.data!.trainModel.requestCount))).toBe(count);
  });
});

describe('the per-key cap on queued training jobs', () => {
  it(`refuses a key's job beyond TRAINING_MAX_QUEUED_PER_KEY with TOO_MANY_TRAINING_JOBS; other keys are not affected`, async () => {
    const [busy, calm] = [await newKey('cap busy'), await newKey('cap calm')];
    const queued = [jobId(await train(busy, { task: 'cap-1' })), jobId(await train(busy, { task: 'cap-2' }))];
    const refused = await train(busy, { task: 'cap-3' });
    expect(refused.data).toBeNull();
    expect(refused.errors).toHaveLength(1);
    expect(refused.errors![0]!.extensions).toMatchObject({ code: 'TOO_MANY_TRAINING_JOBS', retryable: true, maxQueuedPerKey: MAX_PER_KEY, queuedOrRunning: 2 });
    expect(refused.errors![0]!.message).toMatch(/already has 2 training jobs queued or running.*TRAINING_MAX_QUEUED_PER_KEY = 2/);
    expect(await api.database.prisma.trainingJob.count({ where: { task: 'cap-3' } })).toBe(0);

    // Another key has its own share.
    expect(jobId(await train(calm, { task: 'cap-3' }))).toBeTruthy();
    expect(jobId(await train(calm, { task: 'cap-4' }))).toBeTruthy();

    // RUNNING jobs count; a finished one frees its place.
    await setStatus(queued[0]!, 'RUNNING');
    expect((await train(busy, { task: 'cap-5' })).errors?.[0]?.extensions?.code).toBe('TOO_MANY_TRAINING_JOBS');
    await setStatus(queued[0]!, 'SUCCEEDED');
    expect(jobId(await train(busy, { task: 'cap-5' }))).toBeTruthy();
    expect((await train(busy, { task: 'cap-6' })).errors?.[0]?.extensions).toMatchObject({ code: 'TOO_MANY_TRAINING_JOBS', queuedOrRunning: 2 });
  });

  it('holds under concurrent requests of one key: exactly the cap gets through', async () => {
    const key = await newKey('cap concurrent');
    const results = await Promise.all(Array.from({ length: 6 }, (_, index) => train(key, { task: `cap-concurrent-${index}` })));
    const accepted = results.filter((result) => result.errors === undefined);
    const refused = results.filter((result) => result.errors !== undefined);
    expect(accepted, JSON.stringify(refused.map((result) => result.errors))).toHaveLength(MAX_PER_KEY);
    for (const result of refused) expect(result.errors![0]!.extensions).toMatchObject({ code: 'TOO_MANY_TRAINING_JOBS', retryable: true, maxQueuedPerKey: MAX_PER_KEY });
  });

  it('records the environment ADMIN key as env:ADMIN_API_KEY and caps it like any key', async () => {
    const first = await api.gql(TRAIN, { task: 'cap-env-1', hp: {} });
    const stored = await api.database.prisma.trainingJob.findUniqueOrThrow({ where: { id: localId(jobId(first)) } });
    expect(stored.requestedByKeyId).toBe('env:ADMIN_API_KEY');
    await api.gql(TRAIN, { task: 'cap-env-2', hp: {} });
    expect((await api.gql(TRAIN, { task: 'cap-env-3', hp: {} })).errors?.[0]?.extensions?.code).toBe('TOO_MANY_TRAINING_JOBS');
  });
});
