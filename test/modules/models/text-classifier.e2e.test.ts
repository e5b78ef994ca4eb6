import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createRandom } from '../../../src/ml/shared/random.ts';
import { generateFeedbackText } from '../../../src/seed/feedback-text.ts';
import { parseGlobalId } from '../../../src/graphql/global-id.ts';
import { createTestDatabase, type TestDatabase } from '../../support/database.ts';
import { startTestServer, type TestServer } from '../../support/server.ts';
import { graphql, type ActivationPolicy, type FeedbackInput } from '../../support/graphql.ts';
import { waitForJob } from '../../support/jobs.ts';

const SUBMIT = graphql(`mutation ClassifierSubmit($input: [FeedbackInput!]!) { submitFeedback(input: $input) { created failed errors { index message } } }`);
const TRAIN = graphql(`mutation ClassifierTrain($task: String!, $hp: JSONObject, $activation: ActivationPolicy) {
  trainModel(kind: TEXT_CLASSIFIER, task: $task, hyperparameters: $hp, activation: $activation) { id status }
}`);
const JOB = graphql(`query ClassifierJob($id: ID!) { trainingJob(id: $id) {
  status error errorCode attempts activationDecision
  progress { stage epoch epochs loss validationAccuracy fraction }
  modelVersion { id version active labels backend trainingSeconds artifactBytes metrics dataStats }
} }`);
const CLASSIFY = graphql(`query ClassifierClassify($task: String!, $texts: [String!]!) {
  classify(task: $task, texts: $texts) { modelVersion { id version } results { text label confidence scores { label score } explanation { token weight } } }
}`);

let database: TestDatabase;
let api: TestServer;
const random = createRandom(11);
const corpus = Array.from({ length: 360 }, (_, i) => {
  const generated = generateFeedbackText(random, { productName: ['kettle', 'lamp', 'scarf'][i % 3] });
  return { ...generated, externalId: `fb-${i}` };
});
const training = corpus.slice(0, 300);
const heldOut = corpus.slice(300);

async function train(server: TestServer, task: string, activation: ActivationPolicy = 'AUTO', hp: Record<string, unknown> = {}) {
  const queued = await server.gql(TRAIN, { task, hp, activation });
  expect(queued.errors).toBeUndefined();
  expect(queued.data!.trainModel.status).toBe('QUEUED');
  return waitForJob(server, JOB, queued.data!.trainModel.id, { pollMs: 250 });
}

beforeAll(async () => {
  database = await createTestDatabase();
  api = await startTestServer({}, { database });
  const submitted = await api.gql(SUBMIT, {
    input: training.map(
      (row): FeedbackInput => ({
        externalId: row.externalId,
        channel: 'REVIEW',
        text: row.text,
        labels: [{ task: 'sentiment', label: row.sentiment }],
      }),
    ),
  });
  expect(submitted.data?.submitFeedback).toMatchObject({ created: 300, failed: 0 });
});

afterAll(async () => {
  await api?.stop();
  await database?.destroy();
});

describe('text classification as a service', () => {
  let firstVersionId = '';

  it('answers MODEL_NOT_READY before any model is trained', async () => {
    const result = await api.gql(CLASSIFY, { task: 'sentiment', texts: ['great'] });
    expect(result.errors?.[0]?.extensions?.code).toBe('MODEL_NOT_READY');
  });

  it('trains from stored labels in the background, reports progress and metrics, and activates the first version', async () => {
    const job = await train(api, 'sentiment');
    expect(job.error).toBeNull();
    expect(job.status).toBe('SUCCEEDED');
    expect(job.progress.fraction).toBe(1);
    const version = job.modelVersion!;
    firstVersionId = version.id;
    expect(version.active).toBe(true);
    expect(version.version).toBe(1);
    expect(version.labels.sort()).toEqual(['negative', 'positive']);
    expect(['tensorflow', 'wasm', 'cpu']).toContain(version.backend);
    expect(version.artifactBytes).toBeGreaterThan(100);
    expect(version.metrics.accuracy).toBeGreaterThanOrEqual(0.85);
    expect(version.metrics.confusion).toHaveLength(2);
    expect(job.activationDecision).toMatch(/no version was active/);
  });

  it('classifies held-out texts with the planted labels, with scores and an explanation', async () => {
    const result = await api.gql(CLASSIFY, { task: 'sentiment', texts: heldOut.map((row) => row.text) });
    expect(JSON.stringify(result.errors ?? null)).toBe('null');
    const { results, modelVersion } = result.data!.classify;
    expect(modelVersion.id).toBe(firstVersionId);
    const correct = results.filter((r, i) => r.label === heldOut[i].sentiment).length;
    expect(correct / heldOut.length).toBeGreaterThanOrEqual(0.9);
    for (const r of results) {
      expect(r.scores.reduce((sum, s) => sum + s.score, 0)).toBeCloseTo(1, 3);
      expect(r.confidence).toBe(Math.max(...r.scores.map((s) => s.score)));
      expect(r.explanation.length).toBeGreaterThan(0);
    }
  });

  it('classifies feedback submitted without a label and stores the prediction with its version', async () => {
    await api.gql(SUBMIT, { input: [{ externalId: 'new-1', channel: 'SOCIAL', text: 'The kettle broke after two days, cheap material and poorly made :(' }] });
    // Classification runs right after the write, off the request path: poll briefly.
    let stored = await database.prisma.feedbackPrediction.findMany({ where: { feedback: { externalId: 'new-1' } } });
    for (let i = 0; i < 50 && stored.length === 0; i += 1) {
      await new Promise((resolve) => setTimeout(resolve, 100));
      stored = await database.prisma.feedbackPrediction.findMany({ where: { feedback: { externalId: 'new-1' } } });
    }
    expect(stored).toHaveLength(1);
    expect(stored[0]).toMatchObject({ task: 'sentiment', label: 'negative', modelVersionId: parseGlobalId(firstVersionId)!.localId });
  });

  it('rejects empty, overlong and too many texts with BAD_USER_INPUT', async () => {
    for (const texts of [[''], ['  '], ['x'.repeat(5001)], Array.from({ length: 1001 }, () => 'ok'), []]) {
      const result = await api.gql(CLASSIFY, { task: 'sentiment', texts });
      expect(result.errors?.[0]?.extensions?.code).toBe('BAD_USER_INPUT');
    }
  });

  it('fails a job with too few examples per class, naming the classes, and leaves the active model alone', async () => {
    await api.gql(SUBMIT, {
      input: Array.from(
        { length: 14 },
        (_, i): FeedbackInput => ({
          channel: 'SURVEY',
          text: `survey answer ${i}`,
          labels: [{ task: 'tiny', label: i < 12 ? 'common' : 'rare' }],
        }),
      ),
    });
    const job = await train(api, 'tiny');
    expect(job.status).toBe('FAILED');
    expect(job.errorCode).toBe('INSUFFICIENT_TRAINING_DATA');
    expect(job.error).toMatch(/rare/);
    expect(job.modelVersion).toBeNull();
    const models = await api.gql(graphql(`query ClassifierModelsByKindAndTaskAndActiveOnly { models(kind: TEXT_CLASSIFIER, task: "sentiment", activeOnly: true) { id } }`));
    expect(models.data!.models.map((m) => m.id)).toEqual([firstVersionId]);
  });

  it('refuses bad hyperparameters and task names before queueing', async () => {
    const badHp = await api.gql(TRAIN, { task: 'sentiment', hp: { epochs: -1 } });
    expect(badHp.errors?.[0]?.extensions?.code).toBe('BAD_USER_INPUT');
    const unknownHp = await api.gql(TRAIN, { task: 'sentiment', hp: { colour: 'blue' } });
    expect(unknownHp.errors?.[0]?.extensions?.code).toBe('BAD_USER_INPUT');
    const badTask = await api.gql(TRAIN, { task: 'Not A Task!' });
    expect(badTask.errors?.[0]?.extensions?.code).toBe('BAD_USER_INPUT');
  });

  it('keeps a NEVER version inactive until activated, then rolls back', async () => {
    const job = await train(api, 'sentiment', 'NEVER', { epochs: 3 });
    expect(job.status).toBe('SUCCEEDED');
    const second = job.modelVersion!;
    expect(second.version).toBe(2);
    expect(second.active).toBe(false);

    const activate = graphql(`mutation ClassifierActivate($id: ID!) { activateModel(id: $id) { id version active } }`);
    const promoted = await api.gql(activate, { id: second.id });
    expect(promoted.data!.activateModel.active).toBe(true);
    const served = await api.gql(CLASSIFY, { task: 'sentiment', texts: ['fine'] });
    // The cache re-reads the active version at most once a second.
    await new Promise((resolve) => setTimeout(resolve, 1100));
    const servedLater = await api.gql(CLASSIFY, { task: 'sentiment', texts: ['fine'] });
    expect([served.data!.classify.modelVersion.id, servedLater.data!.classify.modelVersion.id]).toContain(second.id);
    expect(servedLater.data!.classify.modelVersion.id).toBe(second.id);

    // Backfill: the unlabelled feedback predicted by version 1 is re-predicted by version 2.
    const reclassify = await api.gql(graphql(`mutation ClassifierReclassifyFeedbackByTask { reclassifyFeedback(task: "sentiment") { pending modelVersion { id } } }`));
    expect(reclassify.data!.reclassifyFeedback.modelVersion.id).toBe(second.id);
    expect(reclassify.data!.reclassifyFeedback.pending).toBeGreaterThanOrEqual(1);
    const secondLocal = parseGlobalId(second.id)!.localId;
    let stale = 1;
    for (let i = 0; i < 100 && stale > 0; i += 1) {
      await new Promise((resolve) => setTimeout(resolve, 100));
      stale = await database.prisma.feedbackPrediction.count({ where: { task: 'sentiment', NOT: { modelVersionId: secondLocal } } });
    }
    expect(stale).toBe(0);
    const notReady = await api.gql(graphql(`mutation ClassifierReclassifyFeedbackByTask2 { reclassifyFeedback(task: "no-such-task") { pending } }`));
    expect(notReady.errors?.[0]?.extensions?.code).toBe('MODEL_NOT_READY');

    const rolledBack = await api.gql(activate, { id: firstVersionId });
    expect(rolledBack.data!.activateModel.id).toBe(firstVersionId);
    const models = await api.gql(graphql(`query ClassifierModelsByKindAndTask { models(kind: TEXT_CLASSIFIER, task: "sentiment") { id active } }`));
    expect(models.data!.models.filter((m) => m.active).map((m) => m.id)).toEqual([firstVersionId]);

    const unknown = await api.gql(activate, { id: 'TW9kZWxWZXJzaW9uOjAwMDAwMDAwLTAwMDAtMDAwMC0wMDAwLTAwMDAwMDAwMDAwMA' });
    expect(unknown.errors?.[0]?.extensions?.code).toBe('NOT_FOUND');
  });

  it('serves the same active model after a restart, without retraining', async () => {
    await new Promise((resolve) => setTimeout(resolve, 1100)); // let the rollback reach the cache
    const before = await api.gql(CLASSIFY, {
      task: 'sentiment',
      texts: heldOut.slice(0, 10).map((r) => r.text),
    });
    expect(before.data!.classify.modelVersion.id).toBe(firstVersionId);
    await api.stop();
    api = await startTestServer({}, { database });
    const after = await api.gql(CLASSIFY, {
      task: 'sentiment',
      texts: heldOut.slice(0, 10).map((r) => r.text),
    });
    expect(after.data!.classify.modelVersion.id).toBe(firstVersionId);
    expect(after.data!.classify.results.map((r) => r.label)).toEqual(before.data!.classify.results.map((r) => r.label));
    for (let i = 0; i < 10; i += 1) {
      expect(after.data!.classify.results[i].confidence).toBeCloseTo(before.data!.classify.results[i].confidence, 5);
    }
    const jobs = await database.prisma.trainingJob.count();
    expect(jobs).toBe(3);
  });
});
