import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { isNegativeRating, negativeRatingCeiling, RecommenderModel, resolveSignals, DEFAULT_SIGNALS, signalWeight } from '../../../src/ml/recommender/index.ts';
import type { RatingScale } from '../../../src/ml/recommender/ratings.ts';
import { createRecommenderTrainer } from '../../../src/modules/models/trainers/recommender.trainer.ts';
import { graphql } from '../../support/graphql.ts';
import { startTestServer, type TestServer } from '../../support/server.ts';
import { RECOMMEND, train, TEST_HYPERPARAMETERS, upsertProducts, upsertUsers } from './planted.ts';

// A service configured for a 1–10 scale: what it accepts, what its POPULAR fallback counts as a
// dislike, and what a recommender trained there stores, all by the same rule.
const SCALE: RatingScale = { min: 1, max: 10, step: 1 };
const RATINGS = Array.from({ length: 10 }, (_, i) => i + 1);
const RATERS = 6;

const RECORD = graphql(`mutation RatingScaleRecord($input: [InteractionInput!]!) {
  recordInteractions(input: $input) { created failed errors { index code field message } }
}`);
const INFO = graphql(`query RatingScaleInfo { serviceInfo { ratingScale { min max step } } }`);

let api: TestServer;

beforeAll(async () => {
  api = await startTestServer({ RATING_MIN: '1', RATING_MAX: '10', RATING_STEP: '1' });
  await upsertUsers(api, [...Array.from({ length: RATERS }, (_, i) => ({ externalId: `rater-${i}` })), { externalId: 'newcomer' }]);
  await upsertProducts(
    api,
    RATINGS.map((r) => ({ externalId: `rated-${r}`, name: `Rated ${r}` })),
  );
});
afterAll(async () => {
  await api?.stop();
});

const rate = (user: string, r: number, value: number, minute = r) => ({
  userExternalId: user,
  productExternalId: `rated-${r}`,
  type: 'RATING' as const,
  value,
  occurredAt: new Date(Date.parse('2026-03-01T00:00:00Z') + minute * 60_000).toISOString(),
});

describe('a configured 1–10 rating scale', () => {
  it('is reported in serviceInfo and validates ratings on it', async () => {
    expect((await api.gql(INFO)).data!.serviceInfo.ratingScale).toEqual(SCALE);
    const result = (await api.gql(RECORD, { input: [rate('rater-0', 1, 10, 0), rate('rater-0', 1, 0.5, 1), rate('rater-0', 1, 7.5, 2), rate('rater-0', 1, 11, 3)] })).data!
      .recordInteractions;
    expect(result).toMatchObject({ created: 1, failed: 3 });
    expect(result.errors.map((e) => [e.index, e.code, e.field])).toEqual([
      [1, 'BAD_USER_INPUT', 'value'],
      [2, 'BAD_USER_INPUT', 'value'],
      [3, 'BAD_USER_INPUT', 'value'],
    ]);
    for (const error of result.errors) expect(error.message).toContain('1 to 10 in steps of 1');
  });

  let served: string[] = [];

  it('leaves ratings in the bottom third out of the POPULAR fallback: exactly those training weighs negative', async () => {
    // Every rater rates product rated-r with r (rater-0 already rated rated-1 with 10 above: not rated 1, so it is left out here).
    const input = Array.from({ length: RATERS }, (_, u) => RATINGS.filter((r) => u > 0 || r > 1).map((r) => rate(`rater-${u}`, r, r))).flat();
    expect((await api.gql(RECORD, { input })).data!.recordInteractions).toMatchObject({ failed: 0 });
    const fallback = await api.gql(RECOMMEND, { userExternalId: 'newcomer', limit: 20 });
    expect(fallback.data!.recommendations.fallback).toBe(true);
    served = fallback.data!.recommendations.items.map((item) => item.product.externalId);
    const signals = resolveSignals({}, SCALE);
    // rated-1 is served: rater-0's 10 counts, the other raters' 1 does not.
    const expected = ['rated-1', ...RATINGS.filter((r) => r > 1 && signalWeight(signals, 'RATING', r) > 0).map((r) => `rated-${r}`)];
    expect(new Set(served)).toEqual(new Set(expected));
    expect(expected).toEqual(['rated-1', 'rated-5', 'rated-6', 'rated-7', 'rated-8', 'rated-9', 'rated-10']);
  });

  it('trains a recommender that stores the scale and serves with the same negative threshold', async () => {
    const job = await train(api, 'ALWAYS', { ...TEST_HYPERPARAMETERS, evaluate: false });
    expect(job.status).toBe('SUCCEEDED');
    const version = job.modelVersion!;
    expect((version.dataStats as { ratingScale: RatingScale }).ratingScale).toEqual(SCALE);
    // The scale is the data's, not a hyperparameter: the stored hyperparameters validate again (an erasure retrain uses them).
    const hp = version.hyperparameters as { signals: Record<string, unknown> };
    expect(hp.signals).not.toHaveProperty('ratings');
    expect(hp.signals.ratingNegativeFraction).toBe(DEFAULT_SIGNALS.ratingNegativeFraction);
    expect(() => createRecommenderTrainer(SCALE).validate('default', version.hyperparameters as Record<string, unknown>)).not.toThrow();

    const stored = await api.database.prisma.modelVersion.findFirstOrThrow({ where: { kind: 'RECOMMENDER', active: true } });
    const model = RecommenderModel.deserialize(stored.artifact!);
    expect(model.header.signals.ratings).toEqual(SCALE);
    expect(negativeRatingCeiling(model.header.signals)).toBe(negativeRatingCeiling({ ...DEFAULT_SIGNALS, ratings: SCALE }));
    for (const r of RATINGS.slice(1)) expect(isNegativeRating(model.header.signals, r), `rating ${r}`).toBe(!served.includes(`rated-${r}`));
  });
});
