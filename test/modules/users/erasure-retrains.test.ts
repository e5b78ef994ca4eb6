import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createLogger } from '../../../src/logger.ts';
import { ModelRegistry } from '../../../src/modules/models/registry.service.ts';
import { TrainingService } from '../../../src/modules/models/training.service.ts';
import { textClassifierTrainer } from '../../../src/modules/models/trainers/text-classifier.trainer.ts';
import type { ModelTrainer } from '../../../src/modules/models/trainers/trainer.ts';
import { parseGlobalId } from '../../../src/graphql/global-id.ts';
import { createRandom } from '../../../src/ml/shared/random.ts';
import { generateFeedbackText } from '../../../src/seed/feedback-text.ts';
import { startTestServer, type TestServer } from '../../support/server.ts';
import { graphql, type FeedbackInput } from '../../support/graphql.ts';

// The retrains eraseUser queues are system jobs: outside every key's queue cap, shared while
// QUEUED (many erasures, one retrain per task). Versions from before training users were recorded
// are treated conservatively. And a job that read a person's feedback before their erasure stores
// its version purged. No worker runs here (WORKER_MODE=off): jobs stay where the test puts them.

const UPSERT = graphql(`mutation ErasureRetrainsUpsert($input: [UserInput!]!) { upsertUsers(input: $input) { created failed } }`);
const SUBMIT = graphql(`mutation ErasureRetrainsSubmit($input: [FeedbackInput!]!) { submitFeedback(input: $input) { created failed } }`);
const ERASE = graphql(`mutation ErasureRetrainsErase($externalId: String) {
  eraseUser(externalId: $externalId) { erased modelVersionsPurged modelRetrainsQueued modelRetrainJobs { id task requestCount } }
}`);
const TRAIN = graphql(`mutation ErasureRetrainsTrain($task: String!) { trainModel(kind: TEXT_CLASSIFIER, task: $task) { id } }`);

const PEOPLE = Array.from({ length: 20 }, (_, i) => `crm-person-${i}`);
let api: TestServer;

const localId = (globalId: string) => parseGlobalId(globalId)!.localId;

async function version(task: string, number: number, data: { active: boolean; recorded: boolean; epochs?: number }) {
  return api.database.prisma.modelVersion.create({
    data: {
      kind: 'TEXT_CLASSIFIER',
      task,
      version: number,
      active: data.active,
      trainingUsersRecorded: data.recorded,
      hyperparameters: { epochs: data.epochs ?? 12 },
      artifact: new Uint8Array(Buffer.from(`artifact of ${task} v${number}`)),
      labels: ['a', 'b'],
    },
  });
}

beforeAll(async () => {
  api = await startTestServer({ WORKER_MODE: 'off', TRAINING_MAX_QUEUED_PER_KEY: '1' });
  expect((await api.gql(UPSERT, { input: [...PEOPLE, 'crm-racer', 'crm-r1', 'crm-r2'].map((externalId) => ({ externalId })) })).data?.upsertUsers).toMatchObject({ failed: 0 });
  const feedback: FeedbackInput[] = PEOPLE.map((externalId, i) => ({
    externalId: `fb-${i}`,
    userExternalId: externalId,
    channel: 'REVIEW',
    text: `review number ${i}`,
    labels: [
      { task: 'coal', label: i % 2 ? 'a' : 'b' },
      { task: 'legacy', label: i % 2 ? 'a' : 'b' },
    ],
  }));
  expect((await api.gql(SUBMIT, { input: feedback })).data?.submitFeedback).toMatchObject({ created: PEOPLE.length, failed: 0 });
});

afterAll(async () => {
  await api?.stop();
});

describe('retrains queued by eraseUser', () => {
  it('coalesce: erasing many people queues one retrain per task; older versions are purged by the first erasure', async () => {
    const users = await api.database.prisma.user.findMany({ where: { externalId: { in: PEOPLE } } });
    const coalActive = await version('coal', 2, { active: true, recorded: true, epochs: 4 });
    const coalOld = await version('coal', 1, { active: false, recorded: true });
    for (const recorded of [coalActive, coalOld]) {
      await api.database.prisma.modelVersionTrainingUser.createMany({ data: users.map((user) => ({ modelVersionId: recorded.id, userId: user.id })) });
    }
    // Trained before training users were recorded: a task the people labelled counts as trained on them.
    const legacyActive = await version('legacy', 2, { active: true, recorded: false, epochs: 5 });
    const legacyOld = await version('legacy', 1, { active: false, recorded: false });
    const untouched = await version('untouched', 1, { active: true, recorded: false });
    const recordedElsewhere = await version('coal-other', 1, { active: true, recorded: true });

    const first = (await api.gql(ERASE, { externalId: PEOPLE[0] })).data!.eraseUser;
    expect(first).toMatchObject({ erased: true, modelVersionsPurged: 2, modelRetrainsQueued: 2 });
    const jobIds = first.modelRetrainJobs.map((job) => job.id).sort();
    for (const old of [coalOld, legacyOld]) {
      expect(await api.database.prisma.modelVersion.findUniqueOrThrow({ where: { id: old.id } })).toMatchObject({ status: 'PURGED', artifact: null });
    }
    for (const kept of [coalActive, legacyActive, untouched, recordedElsewhere]) {
      expect(await api.database.prisma.modelVersion.findUniqueOrThrow({ where: { id: kept.id } })).toMatchObject({ status: 'READY', active: true });
    }

    // In a row, then concurrently: every erasure joins the same two queued retrains.
    for (const person of PEOPLE.slice(1, 10)) {
      const result = (await api.gql(ERASE, { externalId: person })).data!.eraseUser;
      expect(result).toMatchObject({ erased: true, modelVersionsPurged: 0, modelRetrainsQueued: 2 });
      expect(result.modelRetrainJobs.map((job) => job.id).sort()).toEqual(jobIds);
    }
    const concurrent = await Promise.all(PEOPLE.slice(10).map((externalId) => api.gql(ERASE, { externalId })));
    for (const result of concurrent) {
      expect(result.errors).toBeUndefined();
      expect(result.data!.eraseUser.modelRetrainJobs.map((job) => job.id).sort()).toEqual(jobIds);
    }
    const jobs = await api.database.prisma.trainingJob.findMany({ where: { origin: 'ERASURE' }, orderBy: { task: 'asc' } });
    expect(jobs.map((job) => job.task)).toEqual(['coal', 'legacy']);
    for (const job of jobs) expect(job).toMatchObject({ status: 'QUEUED', activationPolicy: 'ALWAYS', requestedByKeyId: null, requestCount: PEOPLE.length });
    // Each with the active version's hyperparameters.
    expect(jobs.map((job) => job.hyperparameters)).toEqual([{ epochs: 4 }, { epochs: 5 }]);
  });

  it('use no API key’s share of the queue (TRAINING_MAX_QUEUED_PER_KEY = 1 here)', async () => {
    // The erasures above were made with the environment's ADMIN key: its share is still free.
    const own = await api.gql(TRAIN, { task: 'coal' });
    expect(own.errors).toBeUndefined();
    expect(localId(own.data!.trainModel.id)).not.toBe((await api.database.prisma.trainingJob.findFirstOrThrow({ where: { origin: 'ERASURE', task: 'coal' } })).id);
    const beyond = await api.gql(TRAIN, { task: 'legacy' });
    expect(beyond.errors?.[0]?.extensions?.code).toBe('TOO_MANY_TRAINING_JOBS');
  });
});

describe('a training job that read a person’s feedback before their erasure', () => {
  it('stores its version PURGED (never active) and queues the retrain again', async () => {
    const random = createRandom(5);
    const input: FeedbackInput[] = Array.from({ length: 60 }, (_, i) => {
      const generated = generateFeedbackText(random, { productName: 'lamp', zhShare: 0 });
      const author = ['crm-racer', 'crm-r1', 'crm-r2'][i % 3]!;
      return {
        externalId: `fb-race-${i}`,
        userExternalId: author,
        channel: 'REVIEW',
        text: `${generated.text}${author === 'crm-racer' ? ' Zyntharo' : ''}`,
        labels: [{ task: 'race', label: generated.sentiment }],
      };
    });
    expect((await api.gql(SUBMIT, { input })).data?.submitFeedback).toMatchObject({ created: 60, failed: 0 });

    // The real trainer, held between reading its data and storing the version: the erasure happens there.
    let reached!: () => void;
    const readData = new Promise<void>((resolve) => (reached = resolve));
    let release!: () => void;
    const released = new Promise<void>((resolve) => (release = resolve));
    const held: ModelTrainer = {
      ...textClassifierTrainer,
      async train(request) {
        const trained = await textClassifierTrainer.train(request);
        reached();
        await released;
        return trained;
      },
    };
    const db = api.database.prisma;
    const training = new TrainingService(db, new ModelRegistry(db), [held], () => null, createLogger('silent'), 'main', api.config.TFJS_BACKEND, { maxQueuedPerKey: 5 });
    const job = await db.trainingJob.create({
      data: {
        kind: 'TEXT_CLASSIFIER',
        task: 'race',
        origin: 'ERASURE',
        activationPolicy: 'ALWAYS',
        hyperparameters: { epochs: 2, minExamplesPerClass: 2 },
        requestKey: 'race-test',
      },
    });
    const run = training.runTrainingJob(job.id, { maxAttempts: 3, heartbeatStaleSeconds: 60 });
    await readData;
    const erased = (await api.gql(ERASE, { externalId: 'crm-racer' })).data!.eraseUser;
    // Nothing stored yet trained on them: the erasure itself finds no version.
    expect(erased).toMatchObject({ erased: true, modelVersionsPurged: 0, modelRetrainsQueued: 0 });
    release();
    await run;

    const finished = await db.trainingJob.findUniqueOrThrow({ where: { id: job.id }, include: { modelVersion: true } });
    expect(finished.status).toBe('SUCCEEDED');
    expect(finished.activationDecision).toMatch(/erased while it trained; stored PURGED, retrain queued again/);
    expect(finished.modelVersion).toMatchObject({ status: 'PURGED', active: false, artifact: null });
    expect(await db.modelVersion.count({ where: { task: 'race', active: true } })).toBe(0);
    const again = await db.trainingJob.findMany({ where: { task: 'race', origin: 'ERASURE', status: 'QUEUED' } });
    expect(again).toHaveLength(1);
    expect(again[0]).toMatchObject({ activationPolicy: 'ALWAYS', requestedByKeyId: null, hyperparameters: { epochs: 2, minExamplesPerClass: 2 } });
  });
});
