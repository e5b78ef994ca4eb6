import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createRandom } from '../../../src/ml/shared/random.ts';
import { generateFeedbackText, type Sentiment } from '../../../src/seed/feedback-text.ts';
import { parseGlobalId } from '../../../src/graphql/global-id.ts';
import { decodeArtifact } from '../../../src/ml/classifier/artifact.ts';
import { tokenize, type TokenizeOptions } from '../../../src/ml/text/tokenizer.ts';
import { startTestServer, type TestServer } from '../../support/server.ts';
import { graphql, type FeedbackInput } from '../../support/graphql.ts';
import { waitForJob } from '../../support/jobs.ts';

// Erasure reaches the models (issue #11): real training on real tensors, real PostgreSQL.
// A customer writes texts with a unique name token; after eraseUser no stored artefact and no
// explanation holds it, older versions trained on them are purged, and the active one is
// replaced by a retrain on the other customers' data.

const UPSERT = graphql(`mutation ErasureModelsUpsert($input: [UserInput!]!) { upsertUsers(input: $input) { created failed } }`);
const SUBMIT = graphql(`mutation ErasureModelsSubmit($input: [FeedbackInput!]!) { submitFeedback(input: $input) { created failed errors { index message } } }`);
const TRAIN = graphql(`mutation ErasureModelsTrain($task: String!, $hp: JSONObject, $activation: ActivationPolicy) {
  trainModel(kind: TEXT_CLASSIFIER, task: $task, hyperparameters: $hp, activation: $activation) { id status }
}`);
const JOB = graphql(`query ErasureModelsJob($id: ID!) { trainingJob(id: $id) {
  id status origin error errorCode activationPolicy requestCount activationDecision
  modelVersion { id version active status purgedAt artifactBytes metrics }
} }`);
const CLASSIFY = graphql(`query ErasureModelsClassify($task: String!, $texts: [String!]!) {
  classify(task: $task, texts: $texts) { modelVersion { id version } results { label explanation { token weight } } }
}`);
const ERASE = graphql(`mutation ErasureModelsErase($externalId: String, $id: ID) {
  eraseUser(externalId: $externalId, id: $id) {
    user { id } erased feedbackErased modelVersionsPurged modelRetrainsQueued
    modelRetrainJobs { id task origin status activationPolicy }
  }
}`);
const ACTIVATE = graphql(`mutation ErasureModelsActivate($id: ID!) { activateModel(id: $id) { id active status } }`);
const MODELS = graphql(`query ErasureModelsList($task: String) { models(kind: TEXT_CLASSIFIER, task: $task) { id version active status purgedAt artifactBytes } }`);

const TOKEN = 'quorvexa';
const EMAIL = 'quorvexa.lind@example.com';
/** Texts naming the person, classified before and after the erasure. */
const PROBES = ['Quorvexa', 'Quorvexa says the kettle is fine', `mail ${EMAIL} quorvexa`];
const OTHERS = ['crm-ann', 'crm-bo', 'crm-cy', 'crm-dee'];

let api: TestServer;
const random = createRandom(23);
const heldOut: { text: string; sentiment: Sentiment }[] = [];
/** The other customers' training texts. */
const othersTexts: string[] = [];

const localId = (globalId: string) => parseGlobalId(globalId)!.localId;

async function train(task: string, activation: 'AUTO' | 'ALWAYS' = 'AUTO', hp: Record<string, unknown> = { epochs: 8 }) {
  const queued = await api.gql(TRAIN, { task, hp, activation });
  expect(queued.errors).toBeUndefined();
  return waitForJob(api, JOB, queued.data!.trainModel.id, { pollMs: 250 });
}

async function artifactText(versionGlobalId: string): Promise<string | null> {
  const row = await api.database.prisma.modelVersion.findUniqueOrThrow({ where: { id: localId(versionGlobalId) }, select: { artifact: true } });
  return row.artifact ? Buffer.from(row.artifact).toString('utf8').toLowerCase() : null;
}

/** The features of a stored version's vocabulary that no other customer's text has: what only the person wrote. */
async function featuresOnlyThePersonWrote(versionGlobalId: string): Promise<string[]> {
  const row = await api.database.prisma.modelVersion.findUniqueOrThrow({ where: { id: localId(versionGlobalId) }, select: { artifact: true } });
  const { header } = decodeArtifact<{ features: string[]; tokenizer: TokenizeOptions }>(row.artifact!);
  const others = new Set(othersTexts.flatMap((text) => tokenize(text, header.tokenizer)));
  return header.features.filter((feature) => !others.has(feature));
}

/** The explanation weight of the token (summed over texts), 0 when the token is not in it. */
async function explanationWeight(task: string, texts: string[], token: string): Promise<number> {
  const result = await api.gql(CLASSIFY, { task, texts });
  expect(result.errors).toBeUndefined();
  return result
    .data!.classify.results.flatMap((r) => r.explanation)
    .filter((e) => e.token.toLowerCase() === token)
    .reduce((sum, e) => sum + e.weight, 0);
}

async function explanationTokens(task: string, texts: string[]) {
  const result = await api.gql(CLASSIFY, { task, texts });
  return { result, tokens: (result.data?.classify.results ?? []).flatMap((r) => r.explanation.map((e) => e.token.toLowerCase())) };
}

beforeAll(async () => {
  api = await startTestServer();
  const users = await api.gql(UPSERT, {
    input: [...OTHERS.map((externalId) => ({ externalId })), { externalId: 'crm-quorvexa', email: EMAIL, name: 'Quorvexa Lind' }],
  });
  expect(users.data?.upsertUsers).toMatchObject({ created: 5, failed: 0 });
  const input: FeedbackInput[] = [];
  for (let i = 0; i < 280; i++) {
    const generated = generateFeedbackText(random, { productName: ['kettle', 'lamp', 'scarf'][i % 3]!, zhShare: 0.3 });
    if (i >= 240) {
      heldOut.push({ text: generated.text, sentiment: generated.sentiment });
      continue;
    }
    othersTexts.push(generated.text);
    input.push({
      externalId: `fb-other-${i}`,
      userExternalId: OTHERS[i % OTHERS.length],
      channel: 'REVIEW',
      text: generated.text,
      labels: [{ task: 'sentiment', label: generated.sentiment }],
    });
  }
  // The person: 30 negative reviews signed with their name and email. Their name is a token only
  // they use, so a model trained on them learns (and explains with) it.
  for (let i = 0; i < 30; i++) {
    const generated = generateFeedbackText(random, { productName: 'kettle', zhShare: 0, sentiment: 'negative' });
    input.push({
      externalId: `fb-q-${i}`,
      userExternalId: 'crm-quorvexa',
      channel: 'SUPPORT',
      text: `${generated.text} Quorvexa here, write to ${EMAIL}`,
      // `solo`: a task only the person labelled, so nothing is left to retrain it with.
      labels: [
        { task: 'sentiment', label: 'negative' },
        { task: 'solo', label: i % 2 ? 'yes' : 'no' },
      ],
    });
  }
  const submitted = await api.gql(SUBMIT, { input });
  expect(submitted.data?.submitFeedback).toMatchObject({ created: 270, failed: 0 });
});

afterAll(async () => {
  await api?.stop();
});

describe('eraseUser reaches the text classifiers trained on the person', () => {
  const versions = { first: '', second: '', solo: '' };
  let weightBefore = 0;
  let retrains: { id: string; task: string; origin: string; status: string; activationPolicy: string }[] = [];

  it('trains versions that hold and explain with the person’s name (the premise)', async () => {
    const first = await train('sentiment');
    expect(first.status, first.error ?? '').toBe('SUCCEEDED');
    versions.first = first.modelVersion!.id;
    expect(await artifactText(versions.first)).toContain(TOKEN);
    // Emails never reach a vocabulary (the tokenizer replaces them by a placeholder).
    expect(await artifactText(versions.first)).not.toContain('quorvexa.lind');
    const { tokens } = await explanationTokens('sentiment', ['Quorvexa says the kettle is fine']);
    expect(tokens).toContain(TOKEN);
    expect(await featuresOnlyThePersonWrote(versions.first)).toEqual(expect.arrayContaining(['w:quorvexa']));
    weightBefore = await explanationWeight('sentiment', PROBES, TOKEN);
    expect(weightBefore).toBeGreaterThan(0);

    const second = await train('sentiment', 'ALWAYS', { epochs: 9 });
    expect(second.status, second.error ?? '').toBe('SUCCEEDED');
    expect(second.modelVersion!.active).toBe(true);
    versions.second = second.modelVersion!.id;
    expect(await artifactText(versions.second)).toContain(TOKEN);

    const solo = await train('solo', 'AUTO', { epochs: 3 });
    expect(solo.status, solo.error ?? '').toBe('SUCCEEDED');
    versions.solo = solo.modelVersion!.id;

    // Each version recorded whom it was trained on.
    const person = await api.database.prisma.user.findUniqueOrThrow({ where: { externalId: 'crm-quorvexa' } });
    const recorded = await api.database.prisma.modelVersionTrainingUser.findMany({ where: { modelVersionId: localId(versions.second) } });
    expect(recorded.map((row) => row.userId)).toContain(person.id);
    expect(recorded).toHaveLength(5);
  });

  it('purges the older version at once and queues one system retrain per task whose active version was trained on them', async () => {
    const erased = await api.gql(ERASE, { externalId: 'crm-quorvexa' });
    expect(erased.errors).toBeUndefined();
    const result = erased.data!.eraseUser;
    expect(result).toMatchObject({ erased: true, feedbackErased: 30, modelVersionsPurged: 1, modelRetrainsQueued: 2 });
    retrains = result.modelRetrainJobs;
    expect(retrains.map((job) => job.task).sort()).toEqual(['sentiment', 'solo']);
    for (const job of retrains) expect(job).toMatchObject({ origin: 'ERASURE', activationPolicy: 'ALWAYS' });
    // A system job: no API key's share of the queue.
    const stored = await api.database.prisma.trainingJob.findMany({ where: { id: { in: retrains.map((job) => localId(job.id)) } } });
    for (const job of stored) expect(job.requestedByKeyId).toBeNull();
    // The retrain keeps the active version's hyperparameters.
    expect(stored.find((job) => job.task === 'sentiment')!.hyperparameters).toMatchObject({ epochs: 9 });

    const first = await api.database.prisma.modelVersion.findUniqueOrThrow({ where: { id: localId(versions.first) } });
    expect(first).toMatchObject({ status: 'PURGED', artifact: null, active: false });
    expect(first.purgedAt).toBeInstanceOf(Date);
    // The active one serves until its replacement is activated.
    expect(await api.database.prisma.modelVersion.findUniqueOrThrow({ where: { id: localId(versions.second) }, select: { active: true, status: true } })).toEqual({
      active: true,
      status: 'READY',
    });
    expect(
      await api.database.pool.query(`SELECT 1 FROM feedback_predictions p JOIN feedback f ON f.id = p.feedback_id JOIN users u ON u.id = f.user_id WHERE u.erased_at IS NOT NULL`),
    ).toMatchObject({ rowCount: 0 });
  });

  it('activates the retrain when done: no artefact holds anything only the person wrote, explanations no longer draw on it, every older version is purged', async () => {
    const sentiment = await waitForJob(api, JOB, retrains.find((job) => job.task === 'sentiment')!.id, { pollMs: 250 });
    expect(sentiment.status, sentiment.error ?? '').toBe('SUCCEEDED');
    const replacement = sentiment.modelVersion!;
    expect(replacement).toMatchObject({ active: true, status: 'READY' });
    const text = await artifactText(replacement.id);
    expect(text).not.toBeNull();
    expect(text).not.toContain(TOKEN);
    expect(text).not.toContain('quorvexa.lind');

    // Every feature of the new vocabulary occurs in other customers' texts: nothing only the person wrote.
    expect(await featuresOnlyThePersonWrote(replacement.id)).toEqual([]);
    const { result } = await explanationTokens('sentiment', PROBES);
    expect(result.data!.classify.modelVersion.id).toBe(replacement.id);
    // The caller's own word may still be credited with letter n-grams it shares with other
    // customers' words (e.g. "<qu" of "quality"), but no longer with what the person taught the model.
    const weightAfter = await explanationWeight('sentiment', PROBES, TOKEN);
    expect(weightAfter, `before ${weightBefore}, after ${weightAfter}`).toBeLessThan(weightBefore / 3);

    // Other customers' data still trains a working model.
    const check = await api.gql(CLASSIFY, { task: 'sentiment', texts: heldOut.map((row) => row.text) });
    const correct = check.data!.classify.results.filter((row, index) => row.label === heldOut[index]!.sentiment).length;
    expect(correct / heldOut.length).toBeGreaterThanOrEqual(0.85);

    const listed = (await api.gql(MODELS, { task: 'sentiment' })).data!.models;
    for (const id of [versions.first, versions.second]) {
      const version = listed.find((row) => row.id === id)!;
      expect(version).toMatchObject({ status: 'PURGED', active: false, artifactBytes: 0 });
      expect(version.purgedAt).not.toBeNull();
      const refused = await api.gql(ACTIVATE, { id });
      expect(refused.data).toBeNull();
      expect(refused.errors?.[0]?.extensions?.code).toBe('MODEL_PURGED');
    }
    // Nothing of the person is in any stored artefact of any model.
    const { rows } = await api.database.pool.query(
      `SELECT count(*)::int AS n FROM model_versions
       WHERE position(convert_to($1, 'UTF8') in artifact) > 0 OR position(convert_to($2, 'UTF8') in artifact) > 0`,
      [TOKEN, 'Quorvexa'],
    );
    expect(rows[0].n).toBe(0);
    const person = await api.database.prisma.user.findFirstOrThrow({ where: { erasedAt: { not: null } } });
    expect(await api.database.prisma.modelVersionTrainingUser.count({ where: { userId: person.id, modelVersion: { status: { not: 'PURGED' } } } })).toBe(0);
  });

  it('retires the active version when nothing is left to retrain its task with: the task has no active model', async () => {
    const solo = await waitForJob(api, JOB, retrains.find((job) => job.task === 'solo')!.id, { pollMs: 250 });
    expect(solo).toMatchObject({ status: 'FAILED', errorCode: 'INSUFFICIENT_TRAINING_DATA' });
    const version = await api.database.prisma.modelVersion.findUniqueOrThrow({ where: { id: localId(versions.solo) } });
    expect(version).toMatchObject({ active: false, status: 'PURGED', artifact: null });
    const classified = await api.gql(CLASSIFY, { task: 'solo', texts: ['Quorvexa'] });
    expect(classified.errors?.[0]?.extensions?.code).toBe('MODEL_NOT_READY');
  });

  it('is idempotent: erasing again purges nothing and queues nothing', async () => {
    const person = await api.database.prisma.user.findFirstOrThrow({ where: { erasedAt: { not: null } } });
    const jobsBefore = await api.database.prisma.trainingJob.count();
    const again = await api.gql(ERASE, { id: Buffer.from(`User:${person.id}`).toString('base64url') });
    expect(again.data!.eraseUser).toMatchObject({ erased: false, modelVersionsPurged: 0, modelRetrainsQueued: 0, modelRetrainJobs: [] });
    expect(await api.database.prisma.trainingJob.count()).toBe(jobsBefore);
  });
});
