import { beforeAll, describe, expect, it } from 'vitest';
import { generateSyntheticBehaviour } from '../../../src/ml/synthetic/behaviour.js';
import { syntheticToTrainingData } from '../../../src/ml/synthetic/training-data.js';
import {
  InsufficientInteractionDataError,
  RecommenderModel,
  trainRecommender,
  type Recommendation,
  type RecommenderTrainingData,
  type TrainRecommenderResult,
} from '../../../src/ml/recommender/index.js';

const synthetic = generateSyntheticBehaviour({ users: 400, products: 600, interactions: 20_000, clusters: 4, categories: 8, seed: 5, missingRate: 0.15 });
const base = syntheticToTrainingData(synthetic);
// One extra user with no interactions at all (a sign-up without behaviour).
const NO_HISTORY_USER = base.userCount;
const data: RecommenderTrainingData = {
  ...base,
  userCount: base.userCount + 1,
  ids: { users: [...(base.ids?.users ?? []), 'user-new'], items: base.ids?.items ?? [] },
};
const clusterOfItem = (i: number): number => synthetic.products[i].cluster;
const clusterOfUser = (u: number): number => synthetic.users[u].cluster;

let result: TrainRecommenderResult;
let model: RecommenderModel;

beforeAll(async () => {
  result = await trainRecommender(data, { seed: 3, maxEvalUsers: 300 });
  model = result.model;
}, 60_000);

function onClusterShare(recs: Recommendation[], cluster: number): number {
  return recs.filter((r) => clusterOfItem(r.item) === cluster).length / Math.max(1, recs.length);
}

describe('trained recommender on planted data', () => {
  it('reports metrics for model and baselines from the same run, plus feature report and backend', () => {
    const m = result.metrics;
    expect(m).not.toBeNull();
    if (m === null) return;
    for (const key of ['model', 'collaborative', 'content', 'popularity', 'itemKnn'] as const) {
      expect(m[key].users).toBe(m.model.users);
      expect(m[key].ndcgAt10).toBeGreaterThanOrEqual(0);
      expect(m[key].ndcgAt10).toBeLessThanOrEqual(1);
    }
    expect(m.model.ndcgAt10).toBeGreaterThan(m.popularity.ndcgAt10);
    expect(result.backend.length).toBeGreaterThan(0);
    expect(result.trainingSeconds).toBeGreaterThan(0);
    // Feature report counts match the generator's missing values exactly.
    const price = result.featureReport.attributes.find((a) => a.name === 'price');
    expect(price?.missing).toBe(synthetic.products.filter((p) => p.price === null).length);
    const weight = result.featureReport.attributes.find((a) => a.name === 'weight_kg');
    expect(weight?.missing).toBe(synthetic.products.filter((p) => p.attributes.weight_kg === null || p.attributes.weight_kg === undefined).length);
    expect(weight?.kind).toBe('numeric');
    expect(result.featureReport.attributes.find((a) => a.name === 'brand')?.kind).toBe('categorical');
  });

  it('cold start: no user / no history → popular items with NEW_USER reason', () => {
    for (const user of [null, NO_HISTORY_USER]) {
      const recs = model.recommendForUser(user, undefined, { limit: 10, strategy: 'HYBRID' });
      expect(recs).toHaveLength(10);
      expect(recs.every((r) => r.reason.kind === 'NEW_USER')).toBe(true);
      const popular = model.recommendForUser(user, [], { limit: 10, strategy: 'POPULAR' });
      expect(popular.map((r) => r.item)).toEqual(recs.map((r) => r.item));
    }
    // The most popular item is first.
    const top = model.recommendForUser(null, undefined, { limit: 1, strategy: 'POPULAR' })[0].item;
    expect(model.arrays.trending[top]).toBe(Math.max(...model.arrays.trending));
  });

  it('users get items of their planted taste cluster (well above chance)', () => {
    let share = 0;
    let popularShare = 0;
    const users = Array.from({ length: 40 }, (_, i) => i * 9);
    for (const u of users) {
      share += onClusterShare(model.recommendForUser(u, undefined, { limit: 10, strategy: 'HYBRID' }), clusterOfUser(u));
      popularShare += onClusterShare(model.recommendForUser(null, undefined, { limit: 10, strategy: 'POPULAR' }), clusterOfUser(u));
    }
    expect(share / users.length).toBeGreaterThan(0.6); // chance is ~0.25 with 4 clusters
    expect(share).toBeGreaterThan(popularShare * 1.5);
    for (const strategy of ['COLLABORATIVE', 'CONTENT'] as const) {
      let s = 0;
      for (const u of users) s += onClusterShare(model.recommendForUser(u, undefined, { limit: 10, strategy }), clusterOfUser(u));
      expect(s / users.length).toBeGreaterThan(0.45);
    }
  });

  it('anonymous user with a session history is folded in: recommendations follow the history', () => {
    const clusterItems = synthetic.products
      .filter((p) => p.cluster === 2)
      .sort((a, b) => b.popularity - a.popularity)
      .slice(0, 6);
    const history = clusterItems.map((p) => ({ item: p.index, type: 'PURCHASE' as const }));
    const recs = model.recommendForUser(null, history, { limit: 10, strategy: 'HYBRID' });
    expect(onClusterShare(recs, 2)).toBeGreaterThan(0.6);
    const ids = new Set(history.map((h) => h.item));
    for (const r of recs) {
      expect(ids.has(r.item)).toBe(false);
      expect(['BECAUSE_YOU_INTERACTED', 'SIMILAR_CONTENT']).toContain(r.reason.kind);
      if (r.reason.kind === 'BECAUSE_YOU_INTERACTED') expect(ids.has(r.reason.itemIndex ?? -1)).toBe(true);
    }
  });

  it('honours exclusions, filters and already-seen items; scores are descending', () => {
    const u = 7;
    const first = model.recommendForUser(u, undefined, { limit: 10, strategy: 'HYBRID' });
    const exclude = new Set(first.slice(0, 5).map((r) => r.item));
    const filter = (i: number): boolean => i % 2 === 0;
    const recs = model.recommendForUser(u, undefined, { limit: 10, strategy: 'HYBRID', exclude, filter });
    expect(recs).toHaveLength(10);
    const seen = new Set(model.historyOf(u).items);
    for (let r = 0; r < recs.length; r++) {
      expect(exclude.has(recs[r].item)).toBe(false);
      expect(recs[r].item % 2).toBe(0);
      expect(seen.has(recs[r].item)).toBe(false);
      if (r > 0) expect(recs[r].score).toBeLessThanOrEqual(recs[r - 1].score);
    }
    const withSeen = model.recommendForUser(u, undefined, { limit: 50, strategy: 'COLLABORATIVE', includeSeen: true });
    expect(withSeen.some((r) => seen.has(r.item))).toBe(true);
  });

  it('explains recommendations per strategy', () => {
    const u = 11;
    const popular = model.recommendForUser(u, undefined, { limit: 10, strategy: 'POPULAR' });
    expect(popular.every((r) => r.reason.kind === 'POPULAR_IN_CATEGORY' || r.reason.kind === 'POPULAR')).toBe(true);
    expect(popular.some((r) => r.reason.kind === 'POPULAR_IN_CATEGORY' && typeof r.reason.category === 'string')).toBe(true);
    const content = model.recommendForUser(u, undefined, { limit: 5, strategy: 'CONTENT' });
    expect(content.every((r) => r.reason.kind === 'SIMILAR_CONTENT' && r.reason.itemIndex !== undefined)).toBe(true);
    const collab = model.recommendForUser(u, undefined, { limit: 5, strategy: 'COLLABORATIVE' });
    const hist = new Set(model.historyOf(u).items);
    expect(collab.every((r) => r.reason.kind === 'BECAUSE_YOU_INTERACTED' && hist.has(r.reason.itemIndex ?? -1))).toBe(true);
  });

  it('similar items under each metric: on behaviour, sorted, in [0, 1], excludes the query, mostly same cluster', () => {
    const byPopularity = synthetic.products.slice().sort((a, b) => b.popularity - a.popularity);
    const item = byPopularity[3].index;
    // EUCLIDEAN over the customers of either item leans towards large shared audiences (docs/recommender.md): a lower bar.
    const sameCluster = { COSINE: 8, PEARSON: 8, EUCLIDEAN: 4 } as const;
    for (const metric of ['COSINE', 'PEARSON', 'EUCLIDEAN'] as const) {
      const sim = model.similarItems(item, 10, metric);
      expect(sim).toHaveLength(10);
      expect(sim.some((s) => s.item === item)).toBe(false);
      for (let r = 1; r < sim.length; r++) expect(sim[r].score).toBeLessThanOrEqual(sim[r - 1].score);
      expect(sim.every((s) => s.basis === 'BEHAVIOUR' && s.score > 0 && s.score <= 1 && (s.shared?.customers ?? 0) > 0)).toBe(true);
      expect(sim.filter((s) => clusterOfItem(s.item) === clusterOfItem(item)).length).toBeGreaterThanOrEqual(sameCluster[metric]);
      // Over the 50 most popular items (chance: 1 in 4 clusters).
      let agree = 0;
      for (const p of byPopularity.slice(0, 50)) agree += model.similarItems(p.index, 10, metric).filter((s) => clusterOfItem(s.item) === p.cluster).length;
      expect(agree / 500).toBeGreaterThan(metric === 'EUCLIDEAN' ? 0.5 : 0.8);
    }
    // A list longer than the stored neighbours is completed from the factors, below every behaviour neighbour.
    const long = model.similarItems(item, 100, 'COSINE');
    const behaviour = long.filter((s) => s.basis === 'BEHAVIOUR');
    expect(behaviour).toHaveLength(model.header.similar!.config.neighbours);
    expect(long.slice(behaviour.length).every((s) => s.basis === 'FACTORS' && s.score <= behaviour[behaviour.length - 1].score && s.score >= 0)).toBe(true);
    expect(new Set(long.map((s) => s.item)).size).toBe(long.length);
    expect(() => model.similarItems(-1, 5, 'COSINE')).toThrow(RangeError);
  });

  it('campaign audience: users ranked by affinity to a product set', () => {
    const items = synthetic.products
      .filter((p) => p.cluster === 1)
      .slice(0, 20)
      .map((p) => p.index);
    const audience = model.scoreUsersForItems(items, 30);
    expect(audience).toHaveLength(30);
    expect(audience.filter((a) => clusterOfUser(a.user) === 1).length).toBeGreaterThanOrEqual(24);
    const eligible = model.scoreUsersForItems(items, 30, (u) => u % 3 === 0);
    expect(eligible.every((a) => a.user % 3 === 0)).toBe(true);
    expect(eligible.some((a) => a.user === NO_HISTORY_USER)).toBe(false);
  });

  it('campaign audience in slices: the same ranking, pausing between slices of users', async () => {
    const items = synthetic.products
      .filter((p) => p.cluster === 2)
      .slice(0, 10)
      .map((p) => p.index);
    let pauses = 0;
    const pause = async () => {
      pauses++;
    };
    const whole = model.scoreUsersForItems(items, 50, (u) => u % 2 === 0);
    const sliced = await model.scoreUsersForItemsInSlices(items, 50, (u) => u % 2 === 0, pause, 7);
    expect(sliced).toEqual(whole);
    expect(whole).toHaveLength(50);
    expect(pauses).toBe(Math.ceil(model.userCount / 7) - 1);
    // A large audience takes the heap path: still the same ranking.
    const large = Math.min(300, model.userCount);
    expect(await model.scoreUsersForItemsInSlices(items, large, undefined, pause, 50)).toEqual(model.scoreUsersForItems(items, large));
  });

  it('serialize/deserialize round trip gives identical results', () => {
    const bytes = model.serialize();
    // Simulate reading from a file into an unaligned Buffer slice.
    const padded = new Uint8Array(bytes.length + 3);
    padded.set(bytes, 3);
    const loaded = RecommenderModel.deserialize(padded.subarray(3));
    expect(loaded.ids?.users[NO_HISTORY_USER]).toBe('user-new');
    expect(loaded.ids?.items[5]).toBe('product-5');
    expect(loaded.featureReport).toEqual(model.featureReport);
    expect(loaded.header.metrics).toEqual(result.metrics);
    for (const u of [0, 13, 77, NO_HISTORY_USER]) {
      for (const strategy of ['HYBRID', 'COLLABORATIVE', 'CONTENT', 'POPULAR'] as const) {
        expect(loaded.recommendForUser(u, undefined, { limit: 10, strategy })).toEqual(model.recommendForUser(u, undefined, { limit: 10, strategy }));
      }
    }
    const hist = [
      { item: 3, type: 'CLICK' as const },
      { item: 9, type: 'RATING' as const, value: 5 },
    ];
    expect(loaded.recommendForUser(null, hist, { limit: 10, strategy: 'HYBRID' })).toEqual(model.recommendForUser(null, hist, { limit: 10, strategy: 'HYBRID' }));
    expect(loaded.similarItems(4, 10, 'PEARSON')).toEqual(model.similarItems(4, 10, 'PEARSON'));
    expect(loaded.scoreUsersForItems([1, 2, 3], 10)).toEqual(model.scoreUsersForItems([1, 2, 3], 10));
    expect(() => RecommenderModel.deserialize(new Uint8Array([1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12]))).toThrow(/magic/);
  });
});

describe('training input validation', () => {
  it('throws InsufficientInteractionDataError below the thresholds', async () => {
    const tiny: RecommenderTrainingData = {
      userCount: 3,
      itemCount: 3,
      interactions: [{ user: 0, item: 1, type: 'VIEW', occurredAt: 0 }],
    };
    await expect(trainRecommender(tiny)).rejects.toBeInstanceOf(InsufficientInteractionDataError);
    await expect(trainRecommender(tiny)).rejects.toThrow(/at least 20 interactions/);
  });
});
