import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { graphql, type ModelKind } from '../../support/graphql.ts';
import { startTestServer, type TestServer } from '../../support/server.ts';

// trainModel validates hyperparameters with the ML core's own schemas, through the real server.
const TRAIN = graphql(`mutation HyperparametersTrain($kind: ModelKind!, $task: String!, $hp: JSONObject) {
  trainModel(kind: $kind, task: $task, hyperparameters: $hp, activation: NEVER) { id task status hyperparameters }
}`);

let api: TestServer;

beforeAll(async () => {
  api = await startTestServer();
});

afterAll(async () => {
  await api?.stop();
});

async function train(kind: ModelKind, task: string, hp: Record<string, unknown>) {
  return api.gql(TRAIN, { kind, task, hp });
}

describe('trainModel hyperparameters', () => {
  it('accepts every classifier key the core supports, including minDf and nbScale', async () => {
    const hp = { minDf: 2, nbScale: false, epochs: 3, patience: 1, minExamplesPerClass: 5, hidden: 0 };
    const result = await train('TEXT_CLASSIFIER', 'sentiment', hp);
    expect(result.errors).toBeUndefined();
    expect(result.data?.trainModel).toMatchObject({ task: 'sentiment', hyperparameters: hp });
  });

  it('refuses an unknown classifier key or a value out of range, naming hyperparameters.<key>', async () => {
    const unknown = await train('TEXT_CLASSIFIER', 'sentiment', { minDf: 2, colour: 'blue' });
    expect(unknown.errors?.[0]?.extensions).toMatchObject({ code: 'BAD_USER_INPUT', argument: 'hyperparameters' });
    expect(unknown.errors?.[0]?.message).toBe('hyperparameters.colour: unknown key');
    const range = await train('TEXT_CLASSIFIER', 'sentiment', { minDf: 0 });
    expect(range.errors?.[0]?.extensions?.code).toBe('BAD_USER_INPUT');
    expect(range.errors?.[0]?.message).toMatch(/^hyperparameters\.minDf: /);
  });

  it('accepts the recommender keys, nested ones included', async () => {
    const hp = { ease: { neighbours: 50, coverage: 0.9 }, tuneEase: false, signals: { halfLifeDays: null }, trendingHalfLifeDays: 14, blend: 'auto' };
    const result = await train('RECOMMENDER', 'default', hp);
    expect(result.errors).toBeUndefined();
    expect(result.data?.trainModel?.hyperparameters).toEqual(hp);
  });

  it('refuses an unknown recommender key at any depth, naming its path', async () => {
    const top = await train('RECOMMENDER', 'default', { tuneAls: false, lambda: 3 });
    expect(top.errors?.[0]?.extensions).toMatchObject({ code: 'BAD_USER_INPUT', argument: 'hyperparameters' });
    expect(top.errors?.[0]?.message).toBe('hyperparameters.lambda: unknown key');
    const nested = await train('RECOMMENDER', 'default', { als: { factors: 8, factorz: 3 } });
    expect(nested.errors?.[0]?.message).toBe('hyperparameters.als.factorz: unknown key');
  });
});

describe('trainModel task names', () => {
  it('follows the one task-name rule of labelling and classification: trimmed, "_" and "-" anywhere', async () => {
    // Labels may be stored under "_beta" (the rule of labelFeedback); training refused it before.
    const underscore = await train('TEXT_CLASSIFIER', '_beta', {});
    expect(underscore.errors).toBeUndefined();
    expect(underscore.data?.trainModel?.task).toBe('_beta');
    const padded = await train('TEXT_CLASSIFIER', '  sentiment ', {});
    expect(padded.data?.trainModel?.task).toBe('sentiment');
    const bad = await train('TEXT_CLASSIFIER', 'Not A Task!', {});
    expect(bad.errors?.[0]?.extensions).toMatchObject({ code: 'BAD_USER_INPUT', argument: 'task' });
  });
});
