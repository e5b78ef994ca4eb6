/**
 * The same stored behaviour and hyperparameters give the same model, whichever order the rows
 * arrive in and whatever ids the storage gave them: users and items are numbered by their
 * stable keys (canonicalIndexOrder) and training sorts interactions by content itself.
 */
import { beforeAll, describe, expect, it } from 'vitest';
import { canonicalIndexOrder, canonicalInteractions, compareInteractions } from '../../../src/ml/recommender/canonical.js';
import { compareCodeUnits } from '../../../src/ml/shared/order.js';
import {
  trainRecommender,
  type InteractionInput,
  type ItemFeatureInput,
  type RecommenderHyperparameters,
  type RecommenderTrainingData,
  type TrainRecommenderResult,
} from '../../../src/ml/recommender/index.js';
import { createRng, shuffleInPlace } from '../../../src/ml/shared/random.js';
import { generateSyntheticBehaviour } from '../../../src/ml/synthetic/behaviour.js';

const DAY = 86_400_000;

/** Rows as a database holds them: an opaque id, the stable key (externalId), the content. */
interface StoredRows {
  users: { id: string; key: string }[];
  items: { id: string; key: string; features: ItemFeatureInput }[];
  interactions: { userId: string; itemId: string; type: InteractionInput['type']; value: number | null; occurredAt: number }[];
}

/**
 * MovieLens-like ratings plus funnel events, with times cut to the day so many of a user's
 * events tie in time (as MovieLens timestamps and batch imports do).
 */
function storedBehaviour(): StoredRows {
  const ratings = generateSyntheticBehaviour({ users: 160, products: 220, interactions: 5_000, clusters: 4, categories: 6, mode: 'RATINGS', minPerUser: 12, days: 120, seed: 11 });
  const funnel = generateSyntheticBehaviour({ users: 160, products: 220, interactions: 2_000, clusters: 4, categories: 6, days: 120, seed: 12 });
  return {
    users: ratings.users.map((u) => ({ id: `user-${u.index}`, key: `u-${String(u.index).padStart(4, '0')}` })),
    items: ratings.products.map((p) => ({
      id: `item-${p.index}`,
      key: `p-${String(p.index).padStart(4, '0')}`,
      features: { category: p.category, tags: p.tags, price: p.price, attributes: p.attributes },
    })),
    interactions: [...ratings.interactions, ...funnel.interactions].map((i) => ({
      userId: `user-${i.user}`,
      itemId: `item-${i.product}`,
      type: i.type,
      value: i.value,
      occurredAt: Math.floor(i.occurredAt.getTime() / DAY) * DAY,
    })),
  };
}

/** The same rows in another database: other ids (like fresh UUIDs) and every list in another order. */
function restored(rows: StoredRows, seed: number): StoredRows {
  const rng = createRng(seed);
  const newId = (prefix: string) => `${prefix}-${rng.int(1 << 30).toString(36)}-${rng.int(1 << 30).toString(36)}`;
  const userId = new Map(rows.users.map((u) => [u.id, newId('user')]));
  const itemId = new Map(rows.items.map((i) => [i.id, newId('item')]));
  return {
    users: shuffleInPlace(
      rows.users.map((u) => ({ ...u, id: userId.get(u.id)! })),
      rng,
    ),
    items: shuffleInPlace(
      rows.items.map((i) => ({ ...i, id: itemId.get(i.id)! })),
      rng,
    ),
    interactions: shuffleInPlace(
      rows.interactions.map((e) => ({ ...e, userId: userId.get(e.userId)!, itemId: itemId.get(e.itemId)! })),
      rng,
    ),
  };
}

/** What a trainer hands the core: users and items numbered by key, interactions in arrival order. */
function trainingData(rows: StoredRows): { data: RecommenderTrainingData; userKeys: string[]; itemKeys: string[] } {
  const users = canonicalIndexOrder(rows.users.map((u) => u.key)).map((p) => rows.users[p]);
  const items = canonicalIndexOrder(rows.items.map((i) => i.key)).map((p) => rows.items[p]);
  const userIndex = new Map(users.map((u, index) => [u.id, index]));
  const itemIndex = new Map(items.map((i, index) => [i.id, index]));
  return {
    data: {
      userCount: users.length,
      itemCount: items.length,
      items: items.map((i) => i.features),
      ids: { users: users.map((u) => u.id), items: items.map((i) => i.id) },
      interactions: rows.interactions.map((e) => ({ user: userIndex.get(e.userId)!, item: itemIndex.get(e.itemId)!, type: e.type, value: e.value, occurredAt: e.occurredAt })),
    },
    userKeys: users.map((u) => u.key),
    itemKeys: items.map((i) => i.key),
  };
}

/** Small but complete: ALS and EASE λ searches, blend search, hold-out evaluation. */
const HYPERPARAMETERS: RecommenderHyperparameters = { als: { factors: 12, iterations: 6 }, neighbours: 30, maxEvalUsers: 120, seed: 5 };

/** Top-20 (item key, score) per user key. */
function rankings(run: { result: TrainRecommenderResult; userKeys: string[]; itemKeys: string[] }): Map<string, [string, number][]> {
  const out = new Map<string, [string, number][]>();
  run.userKeys.forEach((key, user) => {
    const recs = run.result.model.recommendForUser(user, undefined, { limit: 20, strategy: 'HYBRID' });
    out.set(
      key,
      recs.map((r) => [run.itemKeys[r.item], r.score]),
    );
  });
  return out;
}

const stored = storedBehaviour();
let first: { result: TrainRecommenderResult; userKeys: string[]; itemKeys: string[] };
let second: typeof first;

beforeAll(async () => {
  const a = trainingData(stored);
  const b = trainingData(restored(stored, 99));
  first = { result: await trainRecommender(a.data, HYPERPARAMETERS), userKeys: a.userKeys, itemKeys: a.itemKeys };
  second = { result: await trainRecommender(b.data, HYPERPARAMETERS), userKeys: b.userKeys, itemKeys: b.itemKeys };
}, 120_000);

describe('reproducible training', () => {
  it('the data has ties in time within users, and the second copy differs in ids and every order', () => {
    const perUserTime = new Set(stored.interactions.map((e) => `${e.userId}|${e.occurredAt}`));
    expect(perUserTime.size).toBeLessThan(stored.interactions.length * 0.8);
    const copy = restored(stored, 99);
    expect(copy.users.map((u) => u.key)).not.toEqual(stored.users.map((u) => u.key));
    expect(copy.interactions[0]).not.toEqual(stored.interactions[0]);
    expect(new Set(copy.users.map((u) => u.id)).has(stored.users[0].id)).toBe(false);
  });

  it('gives identical top-20 lists and scores for every user', () => {
    const a = rankings(first);
    const b = rankings(second);
    expect(a.size).toBe(stored.users.length);
    expect([...b.keys()]).toEqual([...a.keys()]);
    for (const [user, list] of a) {
      expect(list).toHaveLength(20);
      expect(b.get(user), user).toEqual(list);
    }
  });

  it('gives identical metrics, tuning choices and similar items', () => {
    expect(first.result.metrics).not.toBeNull();
    expect(second.result.metrics).toEqual(first.result.metrics);
    expect(second.result.chosen).toEqual(first.result.chosen);
    const choices = (r: TrainRecommenderResult) => ({
      als: r.tuning?.alsCandidates,
      ease: r.tuning?.easeCandidates.map(({ seconds: _seconds, ...c }) => c),
      blend: r.tuning?.blendNdcgAt10,
    });
    expect(choices(second.result)).toEqual(choices(first.result));
    const similar = (run: typeof first, key: string) => {
      const item = run.itemKeys.indexOf(key);
      return run.result.model.similarItems(item, 10).map((s) => [run.itemKeys[s.item], s.score]);
    };
    for (const key of ['p-0000', 'p-0042', 'p-0123']) expect(similar(second, key)).toEqual(similar(first, key));
  });
});

describe('canonical order', () => {
  it('numbers rows by key in code-unit order, whatever their arrival, and refuses duplicate keys', () => {
    const keys = ['b', 'a-2', 'B', 'a-10', 'é', 'z'];
    const order = canonicalIndexOrder(keys);
    expect(order.map((p) => keys[p])).toEqual(['B', 'a-10', 'a-2', 'b', 'z', 'é']);
    expect([...keys].sort(compareCodeUnits)).toEqual(order.map((p) => keys[p]));
    expect(() => canonicalIndexOrder(['x', 'y', 'x'])).toThrow(/duplicate key "x"/);
  });

  it('sorts interactions by user, time, item, type and value, and keeps a list already in that order', () => {
    const rows: InteractionInput[] = [
      { user: 1, item: 0, type: 'VIEW', occurredAt: 5 },
      { user: 0, item: 3, type: 'RATING', value: 4, occurredAt: 5 },
      { user: 0, item: 3, type: 'RATING', value: null, occurredAt: 5 },
      { user: 0, item: 3, type: 'CLICK', occurredAt: 5 },
      { user: 0, item: 2, type: 'PURCHASE', value: 1, occurredAt: new Date(5) },
      { user: 0, item: 9, type: 'VIEW', occurredAt: 1 },
    ];
    const sorted = canonicalInteractions(rows);
    expect(sorted.map((r) => rows.indexOf(r))).toEqual([5, 4, 3, 2, 1, 0]);
    expect(canonicalInteractions(sorted)).toBe(sorted);
    expect(canonicalInteractions([...rows].reverse())).toEqual(sorted);
  });

  it('orders by users in buckets exactly as the plain comparator sort does, also with rows no index fits', () => {
    const rng = createRng(4);
    const kinds = ['VIEW', 'CLICK', 'ADD_TO_CART', 'PURCHASE', 'RATING'] as const;
    const rows: InteractionInput[] = Array.from({ length: 3_000 }, () => ({
      user: rng.int(40),
      item: rng.int(25),
      type: kinds[rng.int(5)],
      value: rng.next() < 0.3 ? null : rng.int(5) + 1,
      occurredAt: rng.next() < 0.5 ? rng.int(6) : new Date(rng.int(6)),
    }));
    const contentOf = (list: readonly InteractionInput[]) => list.map((r) => [r.user, Number(r.occurredAt), r.item, r.type, r.value]);
    expect(contentOf(canonicalInteractions(rows))).toEqual(contentOf([...rows].sort(compareInteractions)));
    const withStray = [...rows, { user: -1, item: 3, type: 'VIEW' as const, occurredAt: 2 }];
    expect(contentOf(canonicalInteractions(withStray))).toEqual(contentOf([...withStray].sort(compareInteractions)));
  });
});
