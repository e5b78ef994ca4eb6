import { describe, expect, it } from 'vitest';
import { DEFAULT_ALS } from '../../../src/ml/recommender/als.ts';
import {
  blendScores,
  CollaborativeScorer,
  ContentScorer,
  EaseScorer,
  KnnScorer,
  PopularityScorer,
  standardise,
  type UserHistory,
} from '../../../src/ml/recommender/scorers/index.ts';

const history = (entries: [item: number, weight: number][]): UserHistory => ({
  items: Int32Array.from(entries.map(([item]) => item)),
  weights: Float32Array.from(entries.map(([, weight]) => weight)),
});
const close = (actual: ArrayLike<number>, expected: number[]) => expected.forEach((value, i) => expect(actual[i]).toBeCloseTo(value, 5));

describe('CollaborativeScorer', () => {
  // Items (1,0), (0,1), (1,1); user 0 = (2,0); user 1 had no history (zero factors).
  const itemFactors = Float32Array.from([1, 0, 0, 1, 1, 1]);
  const scorer = new CollaborativeScorer({
    factors: 2,
    userCount: 2,
    itemCount: 3,
    userFactors: Float32Array.from([2, 0, 0, 0]),
    itemFactors,
    itemGram: Float64Array.from([2, 1, 1, 2]),
    alpha0: 0.1,
    als: { ...DEFAULT_ALS, factors: 2 },
  });

  it('scores x_u·y_i and measures items and users on their factors', () => {
    close(scorer.scores(Float32Array.from([2, 0])), [2, 0, 2]);
    expect(scorer.itemCosine(0, 2)).toBeCloseTo(Math.SQRT1_2, 6);
    close(scorer.itemSimilarities(0, 'COSINE'), [1, 0, Math.SQRT1_2]);
    // x_u · mean(y) = (2, 0) · (1, 0.5); user 1 has no factors.
    expect(scorer.scoreUsersForItems([0, 2], 5)).toEqual([{ user: 0, score: 2 }]);
    expect(scorer.similarUsers(0, 5)).toEqual([]);
  });

  it('uses stored factors for an unchanged trained user and folds in anyone else', () => {
    const h = history([[0, 8]]);
    expect(Array.from(scorer.userFactor(0, h, false)!)).toEqual([2, 0]);
    expect(scorer.userFactor(null, history([]), true)).toBeNull();
    const folded = scorer.userFactor(null, h, true)!;
    const s = scorer.scores(folded);
    expect(s[0]).toBeGreaterThan(s[1]);
    expect(Array.from(folded)).toEqual(Array.from(scorer.foldIn(h)));
  });
});

describe('ContentScorer', () => {
  const scorer = new ContentScorer({
    indptr: Int32Array.from([0, 1, 2, 4]),
    indices: Int32Array.from([0, 1, 0, 1]),
    values: Float32Array.from([1, 1, 0.6, 0.8]),
    dimensions: 3,
  });

  it('builds a log-weighted profile of positively engaged items and scores rows against it', () => {
    const profile = scorer.profile(
      history([
        [0, Math.E - 1],
        [1, -3],
      ]),
    );
    close(profile, [1, 0, 0]);
    close(scorer.scores(profile), [1, 0, 0.6]);
    expect(scorer.similarity('COSINE', 0, 2)).toBeCloseTo(0.6, 6);
    close(scorer.similarities(2, 'COSINE'), [0.6, 0.8, 1]);
    expect(Array.from(scorer.row(2).indices)).toEqual([0, 1]);
  });
});

describe('KnnScorer and EaseScorer', () => {
  it('item-kNN sums neighbour similarities of positive history items', () => {
    const knn = new KnnScorer({ k: 2, indices: Int32Array.from([1, 2, 0, -1, 0, -1]), sims: Float32Array.from([0.5, 0.25, 0.5, 0, 0.25, 0]) }, 3);
    close(knn.scores(history([[0, 2]])), [0, 0.5, 0.25]);
    close(knn.scores(history([[0, -2]])), [0, 0, 0]);
  });

  it('EASE sums B rows of engaged history items (binary input; disliked items count 0)', () => {
    const ease = new EaseScorer({ indptr: Int32Array.from([0, 2, 2, 3]), indices: Int32Array.from([1, 2, 0]), weights: Float32Array.from([0.4, 0.1, 0.3]) }, 3);
    close(
      ease.scores(
        history([
          [0, 5],
          [2, -1],
        ]),
      ),
      [0, 0.4, 0.1],
    );
    close(ease.scores(history([[2, 1]])), [0.3, 0, 0]);
  });
});

describe('PopularityScorer', () => {
  const scorer = new PopularityScorer(Float32Array.from([0, Math.E - 1, Math.E ** 2 - 1]), Int32Array.from([0, 1, 1]));

  it('shares one z-scored log-trending prior, boosted by the user’s category shares', () => {
    close(scorer.prior, [-Math.sqrt(1.5), 0, Math.sqrt(1.5)]);
    expect(Array.from(scorer.scores(history([])))).toEqual(Array.from(scorer.prior));
    expect(
      scorer.categoryShare(
        history([
          [0, 1],
          [1, 3],
          [2, -5],
        ]),
      ),
    ).toEqual(
      new Map([
        [0, 0.25],
        [1, 0.75],
      ]),
    );
    close(scorer.scores(history([[1, 2]])), [-Math.sqrt(1.5), 2, Math.sqrt(1.5) + 2]);
  });
});

describe('blendScores', () => {
  it('sums z-scored components with the blend weights, popularity first; components without weight are skipped', () => {
    const popularityZ = Float32Array.from([1, 0, -1]);
    const collaborative = Float32Array.from([3, 1, 2]);
    const out = blendScores(
      { collaborative, knn: Float32Array.from([5, 5, 5]), content: null, ease: Float32Array.from([9, 0, 0]) },
      popularityZ,
      { collaborative: 2, knn: 1, content: 1, popularity: 0.5, ease: 0 },
      new Float32Array(3),
      new Float32Array(3),
    );
    const z = standardise(collaborative);
    close(out, [0.5 + 2 * z[0], 2 * z[1], -0.5 + 2 * z[2]]);
  });
});
