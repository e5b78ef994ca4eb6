import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { sentimentFeedback, submitFeedback } from '../support/fixtures.ts';
import { graphql, type FeedbackInput } from '../support/graphql.ts';
import { waitForJob } from '../support/jobs.ts';
import { startTestServer, type TestServer } from '../support/server.ts';

// Labelling and training apply the same rules to the same input, through the real API: a task
// name either works for labelFeedback, submitFeedback's labels, trainModel and classify alike,
// or is refused by all four with BAD_USER_INPUT. (Labels could once be stored for "_draft",
// a task trainModel refused: data that could never be trained.)
const LABEL = graphql(`mutation RulesLabel($input: [FeedbackLabelAssignment!]!) {
  labelFeedback(input: $input) { created updated unchanged failed errors { code field message } }
}`);
const SUBMIT = graphql(`mutation RulesSubmit($input: [FeedbackInput!]!) {
  submitFeedback(input: $input) { created failed errors { code field message } }
}`);
const TRAIN = graphql(`mutation RulesTrain($task: String!, $hp: JSONObject) {
  trainModel(kind: TEXT_CLASSIFIER, task: $task, hyperparameters: $hp, activation: ALWAYS) { id task status }
}`);
const CLASSIFY = graphql(`query RulesClassify($task: String!, $texts: [String!]!) {
  classify(task: $task, texts: $texts) { results { label confidence } }
}`);
const JOB = graphql(`query RulesJob($id: ID!) {
  trainingJob(id: $id) { status task errorCode error modelVersion { task labels active } }
}`);
const LABELS = graphql(`query RulesStoredLabels($externalId: String!) {
  feedbackItem(externalId: $externalId) { labels { task label } }
}`);

const ACCEPTED = ['sentiment', '_draft', '-lead', 'topic_v2', 'a', 'x'.repeat(50), '  padded  '];
const REFUSED = ['', '   ', 'x'.repeat(51), 'Sentiment', 'has space', 'a.b', 'ünï', 'tab\tbed'];

let api: TestServer;
beforeAll(async () => {
  api = await startTestServer();
  await submitFeedback(api, [{ externalId: 'target', channel: 'REVIEW', text: 'the lamp is fine' }]);
});
afterAll(async () => {
  await api?.stop();
});

async function verdicts(task: string, index: number) {
  const label = await api.gql(LABEL, { input: [{ feedbackExternalId: 'target', task, label: 'x' }] });
  const row: FeedbackInput = { externalId: `with-label-${index}`, channel: 'SURVEY', text: 'ok', labels: [{ task, label: 'y' }] };
  const submit = await api.gql(SUBMIT, { input: [row] });
  // Nothing to learn from yet: an accepted name queues a job (that later fails for want of data).
  const train = await api.gql(TRAIN, { task, hp: {} });
  const classify = await api.gql(CLASSIFY, { task, texts: ['fine'] });
  const refusedForTask = (errors: { extensions?: Record<string, unknown> }[] | undefined) =>
    errors?.[0]?.extensions?.code === 'BAD_USER_INPUT' && errors[0].extensions.argument === 'task';
  return {
    labelFeedback: label.data!.labelFeedback.failed === 0 ? 'accepted' : `refused (${label.data!.labelFeedback.errors[0]?.code} on ${label.data!.labelFeedback.errors[0]?.field})`,
    submitFeedback:
      submit.data!.submitFeedback.failed === 0 ? 'accepted' : `refused (${submit.data!.submitFeedback.errors[0]?.code} on ${submit.data!.submitFeedback.errors[0]?.field})`,
    trainModel: train.errors === undefined ? 'accepted' : refusedForTask(train.errors) ? 'refused (BAD_USER_INPUT on task)' : JSON.stringify(train.errors),
    // Before a model exists an accepted name answers MODEL_NOT_READY, a refused one BAD_USER_INPUT.
    classify:
      classify.errors?.[0]?.extensions?.code === 'MODEL_NOT_READY'
        ? 'accepted'
        : refusedForTask(classify.errors)
          ? 'refused (BAD_USER_INPUT on task)'
          : JSON.stringify(classify.errors),
  };
}

describe('task names: one rule for labelling, training and classifying', () => {
  it.each(ACCEPTED.map((task, i) => [JSON.stringify(task), task, i] as const))('accepts %s everywhere', async (_name, task, i) => {
    expect(await verdicts(task, i)).toEqual({ labelFeedback: 'accepted', submitFeedback: 'accepted', trainModel: 'accepted', classify: 'accepted' });
  });

  it.each(REFUSED.map((task, i) => [JSON.stringify(task), task, 100 + i] as const))('refuses %s everywhere', async (_name, task, i) => {
    expect(await verdicts(task, i)).toEqual({
      labelFeedback: 'refused (BAD_USER_INPUT on task)',
      submitFeedback: 'refused (BAD_USER_INPUT on labels.0.task)',
      trainModel: 'refused (BAD_USER_INPUT on task)',
      classify: 'refused (BAD_USER_INPUT on task)',
    });
  });

  it('stores, trains and serves a padded name under its trimmed form', async () => {
    const stored = await api.gql(LABELS, { externalId: 'target' });
    expect(stored.data!.feedbackItem!.labels.map((label) => label.task)).toContain('padded');
    const queued = await api.gql(TRAIN, { task: '  padded  ', hp: {} });
    expect(queued.data!.trainModel.task).toBe('padded');
  });

  it('trains a classifier for data labelled under a name starting with "_" and serves it', async () => {
    const rows = sentimentFeedback({ seed: 5, count: 160, idPrefix: 'draft-' }).map((row) => ({
      ...row,
      labels: row.labels!.map((label) => ({ ...label, task: '_tone' })),
    }));
    await submitFeedback(api, rows);
    const queued = await api.gql(TRAIN, { task: '_tone', hp: { epochs: 8, minExamplesPerClass: 5 } });
    expect(queued.errors).toBeUndefined();
    const job = await waitForJob(api, JOB, queued.data!.trainModel.id);
    expect(job, job.error ?? '').toMatchObject({ status: 'SUCCEEDED', task: '_tone', modelVersion: { task: '_tone', active: true } });
    expect([...job.modelVersion!.labels].sort()).toEqual(['negative', 'positive']);
    const classified = await api.gql(CLASSIFY, { task: '_tone', texts: ['great value for the money, works perfectly', 'broke after two days, support never replied'] });
    expect(classified.errors).toBeUndefined();
    expect(classified.data!.classify.results.map((result) => result.label)).toEqual(['positive', 'negative']);
  });
});
