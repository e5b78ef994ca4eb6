import { beforeAll, describe, expect, it } from 'vitest';
import { generateSyntheticBehaviour } from '../../../src/ml/synthetic/behaviour.js';
import { syntheticToTrainingData } from '../../../src/ml/synthetic/training-data.js';
import { RecommenderModel, trainRecommender, type RecommendOptions } from '../../../src/ml/recommender/index.js';

// Stored serving candidates must give exactly the answers scoring the whole catalogue gives,
// whatever the filters; where they cannot (a list too short for a narrow filter, fresh events,
// another strategy), the model scores.
const synthetic = generateSyntheticBehaviour({ users: 150, products: 300, interactions: 6_000, clusters: 4, categories: 6, seed: 9 });
const data = syntheticToTrainingData(synthetic);
let model: RecommenderModel;
let scoring: RecommenderModel;

beforeAll(async () => {
  model = (await trainRecommender(data, { seed: 1, evaluate: false, tuneAls: false, tuneEase: false, servingCandidates: 30, als: { factors: 8, iterations: 4 } })).model;
  scoring = new RecommenderModel({ ...model.header, candidates: 0 }, model.arrays);
}, 60_000);

const category = (i: number) => synthetic.products[i]!.category;

describe('serving candidates', () => {
  it('stores each trained user’s top unseen items under HYBRID, best first', () => {
    expect(model.header.candidates).toBe(30);
    expect(model.arrays.candidateItems).toHaveLength(model.userCount * 30);
    for (const u of [0, 7, 42]) {
      const list = Array.from(model.arrays.candidateItems.subarray(u * 30, u * 30 + 30));
      expect(list).toEqual(scoring.recommendForUser(u, undefined, { limit: 30, strategy: 'HYBRID' }).map((r) => r.item));
      const scores = Array.from(model.arrays.candidateScores.subarray(u * 30, u * 30 + 30));
      expect([...scores].sort((a, b) => b - a)).toEqual(scores);
    }
  });

  it('answers exactly as scoring does, with and without filters, exclusions and other strategies', () => {
    const cases: RecommendOptions[] = [
      { limit: 10, strategy: 'HYBRID' },
      { limit: 30, strategy: 'HYBRID' },
      { limit: 60, strategy: 'HYBRID' }, // more than the list holds: scored
      { limit: 10, strategy: 'HYBRID', filter: (i) => category(i) === category(0) }, // narrow: may run out, scored
      { limit: 5, strategy: 'HYBRID', filter: (i) => i % 2 === 0, exclude: new Set([1, 2, 3, 4, 5, 6, 7, 8, 9, 10]) },
      { limit: 10, strategy: 'HYBRID', includeSeen: true },
      { limit: 10, strategy: 'COLLABORATIVE' },
    ];
    for (let u = 0; u < model.userCount; u += 3) {
      for (const opts of cases) expect(model.recommendForUser(u, undefined, opts)).toEqual(scoring.recommendForUser(u, undefined, opts));
    }
  });

  it('serves those answers from the stored lists, not by scoring again', () => {
    // The same lists with marked scores: an answer read from them carries the mark.
    const marked = new RecommenderModel(model.header, { ...model.arrays, candidateScores: model.arrays.candidateScores.map((s) => s + 1000) });
    const answer = marked.recommendForUser(4, undefined, { limit: 10, strategy: 'HYBRID' });
    expect(answer.every((r) => r.score > 500)).toBe(true);
    expect(answer.map((r) => r.item)).toEqual(scoring.recommendForUser(4, undefined, { limit: 10, strategy: 'HYBRID' }).map((r) => r.item));
    expect(marked.recommendForUser(4, undefined, { limit: 10, strategy: 'COLLABORATIVE' }).every((r) => r.score < 500)).toBe(true);
  });

  it('folds fresh events in by scoring, so an event after training still changes the answer', () => {
    const fresh = [
      { item: 5, type: 'PURCHASE' as const },
      { item: 6, type: 'PURCHASE' as const },
    ];
    const withFresh = model.recommendForUser(0, fresh, { limit: 10, strategy: 'HYBRID' });
    expect(withFresh).toEqual(scoring.recommendForUser(0, fresh, { limit: 10, strategy: 'HYBRID' }));
    expect(withFresh.map((r) => r.item)).not.toContain(5);
    expect(withFresh).not.toEqual(model.recommendForUser(0, undefined, { limit: 10, strategy: 'HYBRID' }));
  });

  it('keeps its candidates through the artifact', () => {
    const loaded = RecommenderModel.deserialize(model.serialize());
    expect(loaded.header.candidates).toBe(30);
    expect(loaded.arrays.candidateItems).toEqual(model.arrays.candidateItems);
    expect(loaded.recommendForUser(3, undefined, { limit: 10, strategy: 'HYBRID' })).toEqual(model.recommendForUser(3, undefined, { limit: 10, strategy: 'HYBRID' }));
  });
});
