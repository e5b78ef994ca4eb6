import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { RecommenderModel } from '../../../src/ml/recommender/index.ts';

// A version-2 artifact (with EASE lists) stored before the model was split into scorers, and
// what it served then: stored versions must keep serving exactly that.
const fixture = new URL('./fixtures/', import.meta.url);
const bytes = new Uint8Array(readFileSync(new URL('model-v2.recm', fixture)));
const expected = JSON.parse(readFileSync(new URL('model-v2.expected.json', fixture), 'utf8')) as {
  [strategy: string]: unknown;
  anonymous: number[];
  similar: Record<'COSINE' | 'PEARSON' | 'EUCLIDEAN', number[]>;
  audience: number[];
};

describe('version-2 model artifact', () => {
  it('serves the recommendations, reasons, similar items and audiences it served when stored', () => {
    const model = RecommenderModel.deserialize(bytes);
    expect(model.header.version).toBe(2);
    expect(model.header.blend.ease).toBeGreaterThan(0);
    expect(model.arrays.easeIndices.length).toBeGreaterThan(0);
    for (const strategy of ['HYBRID', 'COLLABORATIVE', 'CONTENT', 'POPULAR'] as const) {
      const got = [0, 5, 17].map((u) => model.recommendForUser(u, undefined, { limit: 5, strategy }).map((r) => ({ item: r.item, reason: r.reason })));
      expect(got).toEqual(expected[strategy]);
    }
    const anonymous = model.recommendForUser(
      null,
      [
        { item: 3, type: 'PURCHASE' },
        { item: 7, type: 'CLICK' },
      ],
      { limit: 5, strategy: 'HYBRID' },
    );
    expect(anonymous.map((r) => r.item)).toEqual(expected.anonymous);
    for (const metric of ['COSINE', 'PEARSON', 'EUCLIDEAN'] as const) expect(model.similarItems(2, 5, metric).map((s) => s.item)).toEqual(expected.similar[metric]);
    expect(model.scoreUsersForItems([1, 4, 9], 8).map((s) => s.user)).toEqual(expected.audience);
  });

  it('weighs ratings in a history as when it was stored (its absolute rule, restated on a 1–5 scale)', () => {
    const model = RecommenderModel.deserialize(bytes);
    const history = [
      { item: 3, type: 'RATING' as const, value: 5 },
      { item: 7, type: 'RATING' as const, value: 1 },
      { item: 11, type: 'RATING' as const, value: 2 },
      { item: 12, type: 'RATING' as const, value: 3.5 },
      { item: 14, type: 'RATING' as const },
    ];
    const got = model.recommendForUser(null, history, { limit: 8, strategy: 'HYBRID' });
    // What the artifact served for this history before rating scales existed (same code path, old rule).
    expect(got.map((r) => r.item)).toEqual([17, 6, 29, 15, 10, 27, 22, 19]);
    const before = [2.7067854404449463, 2.66861629486084, 2.5152652263641357, 2.466824531555176, 1.2102742195129395, 1.0570530891418457, 0.6547266840934753, 0.5586672425270081];
    got.forEach((r, i) => expect(r.score).toBeCloseTo(before[i], 12));
    expect(model.header.signals.ratings).toEqual({ min: 1, max: 5, step: 1 });
  });

  it('loads from a Node Buffer read from disk (a view into a larger buffer) as from a copy', () => {
    const buffer = readFileSync(new URL('model-v2.recm', fixture));
    const fromBuffer = RecommenderModel.deserialize(buffer);
    const fromCopy = RecommenderModel.deserialize(bytes);
    expect(fromBuffer.arrays.itemFactors).toEqual(fromCopy.arrays.itemFactors);
    expect(fromBuffer.arrays.itemGram).toEqual(fromCopy.arrays.itemGram);
    expect(fromBuffer.recommendForUser(null, [{ item: 3, type: 'PURCHASE' }], { limit: 5, strategy: 'HYBRID' })).toEqual(
      fromCopy.recommendForUser(null, [{ item: 3, type: 'PURCHASE' }], { limit: 5, strategy: 'HYBRID' }),
    );
  });
});
