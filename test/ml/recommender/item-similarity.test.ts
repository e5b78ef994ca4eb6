import { describe, expect, it } from 'vitest';
import {
  behaviourNeighbours,
  behaviourValue,
  buildInteractionMatrix,
  buildSimilarLists,
  DEFAULT_SIGNALS,
  pairScore,
  pairStatsOf,
  shrink,
  type InteractionInput,
  type SimilarityMetric,
} from '../../../src/ml/recommender/index.ts';
import { strongestKinds } from '../../../src/ml/recommender/history-kinds.ts';

const L = 20; // λ used below (any value; the defaults live in DEFAULT_SIMILAR)
const b = behaviourValue;
const m = (entries: [number, number][]) => new Map(entries);

describe('behaviour similarity formulas (hand-computed)', () => {
  it('behaviour value and shrinkage', () => {
    expect(b(0)).toBe(0);
    expect(b(1)).toBeCloseTo(Math.log(2), 12);
    expect(b(-3)).toBeCloseTo(-Math.log(4), 12);
    expect(shrink(0, L)).toBe(0);
    expect(shrink(1, L)).toBeCloseTo(1 / 21, 12);
    expect(shrink(5, 0)).toBe(1);
  });

  // Customers 0..3; x = aggregated signals (1 view, 3 view+click, 9 view+purchase, -1.5 a 1-star rating).
  const A = m([
    [0, 1],
    [1, 3],
    [2, 9],
  ]);
  const B = m([
    [1, 1],
    [2, 9],
    [3, 3],
  ]);

  it('COSINE: positive parts over all customers, shrunk by customers positive on both', () => {
    const s = pairStatsOf(A, B);
    const dot = b(3) * b(1) + b(9) * b(9);
    const na = Math.sqrt(b(1) ** 2 + b(3) ** 2 + b(9) ** 2);
    const nb = Math.sqrt(b(1) ** 2 + b(9) ** 2 + b(3) ** 2);
    expect(s.p).toBe(2);
    expect(pairScore('COSINE', s, L)).toBeCloseTo((dot / (na * nb)) * (2 / 22), 12);
    // Without shrinkage a vector is fully similar to itself.
    expect(pairScore('COSINE', pairStatsOf(A, A), 0)).toBeCloseTo(1, 12);
  });

  it('PEARSON: centred by each item mean over all its customers, correlation over co-rated customers, clipped at 0', () => {
    const s = pairStatsOf(A, B);
    const ma = (b(1) + b(3) + b(9)) / 3;
    const mb = (b(1) + b(9) + b(3)) / 3;
    const c1 = [b(3) - ma, b(1) - mb];
    const c2 = [b(9) - ma, b(9) - mb];
    const cov = c1[0] * c1[1] + c2[0] * c2[1];
    const va = c1[0] ** 2 + c2[0] ** 2;
    const vb = c1[1] ** 2 + c2[1] ** 2;
    expect(s.n).toBe(2);
    expect(pairScore('PEARSON', s, L)).toBeCloseTo(Math.max(0, cov / Math.sqrt(va * vb)) * (2 / 22), 12);
    // Opposite tastes: negative correlation is "not similar".
    const likesA = m([
      [0, 4.5],
      [1, -3],
      [2, 3],
    ]);
    const likesB = m([
      [0, -3],
      [1, 4.5],
      [2, -1.5],
    ]);
    expect(pairScore('PEARSON', pairStatsOf(likesA, likesB), L)).toBe(0);
  });

  it('EUCLIDEAN: RMS distance over the customers of either item, 1 / (1 + d), shrunk by co-rated customers', () => {
    const s = pairStatsOf(A, B);
    // Union {0,1,2,3}: differences b(1)-0, b(3)-b(1), b(9)-b(9), 0-b(3).
    const d = Math.sqrt((b(1) ** 2 + (b(3) - b(1)) ** 2 + 0 + b(3) ** 2) / 4);
    expect(pairScore('EUCLIDEAN', s, L)).toBeCloseTo((1 / (1 + d)) * (2 / 22), 12);
    expect(pairScore('EUCLIDEAN', pairStatsOf(A, A), 0)).toBe(1);
    // On 0/1 vectors d² = 1 − Jaccard: 2 shared of 4 customers.
    const one = (users: number[]) => m(users.map((u) => [u, Math.E - 1])); // b = 1
    expect(pairScore('EUCLIDEAN', pairStatsOf(one([0, 1, 2]), one([1, 2, 3])), 0)).toBeCloseTo(1 / (1 + Math.sqrt(1 - 2 / 4)), 12);
  });

  it('one shared customer: weak evidence, shrunk to at most 1 / (1 + λ)', () => {
    const a = m([
      [0, 8],
      [1, 1],
    ]);
    const c = m([
      [1, 8],
      [2, 1],
    ]);
    const s = pairStatsOf(a, c);
    expect([s.n, s.p]).toEqual([1, 1]);
    const cos = (b(1) * b(8)) / (Math.sqrt(b(8) ** 2 + b(1) ** 2) * Math.sqrt(b(8) ** 2 + b(1) ** 2));
    expect(pairScore('COSINE', s, L)).toBeCloseTo(cos / 21, 12);
    // One co-rated customer: its centred values correlate perfectly (±1); the shrinkage keeps it small.
    const ma = (b(8) + b(1)) / 2;
    expect(pairScore('PEARSON', s, L)).toBeCloseTo(Math.sign((b(1) - ma) * (b(8) - ma)) > 0 ? 1 / 21 : 0, 12);
    for (const metric of ['COSINE', 'PEARSON', 'EUCLIDEAN'] as const) expect(pairScore(metric, s, L)).toBeLessThanOrEqual(1 / 21 + 1e-12);
  });

  it('constant ratings: PEARSON has no variance to correlate and is 0; COSINE and EUCLIDEAN still answer', () => {
    const a = m([
      [0, 3],
      [1, 3],
      [2, 3],
    ]);
    const c = m([
      [0, 3],
      [1, 3],
      [3, 3],
    ]);
    const s = pairStatsOf(a, c);
    expect(pairScore('PEARSON', s, L)).toBe(0);
    expect(pairScore('COSINE', s, L)).toBeCloseTo((2 / 3) * (2 / 22), 12);
    expect(pairScore('EUCLIDEAN', s, L)).toBeCloseTo((1 / (1 + Math.sqrt((2 * b(3) ** 2) / 4))) * (2 / 22), 12);
  });

  it('no overlap: every metric is 0', () => {
    const s = pairStatsOf(m([[0, 8]]), m([[1, 8]]));
    for (const metric of ['COSINE', 'PEARSON', 'EUCLIDEAN'] as const) expect(pairScore(metric, s, L)).toBe(0);
    // Co-rated but not positive on both: COSINE (positive behaviour) is 0.
    expect(pairScore('COSINE', pairStatsOf(m([[0, 8]]), m([[0, -3]])), L)).toBe(0);
  });
});

describe('buildSimilarLists', () => {
  // 6 customers, 5 items; item 4 is engaged with by one customer only.
  const events: [number, number, InteractionInput['type'], number | null][] = [
    [0, 0, 'PURCHASE', 1],
    [0, 1, 'PURCHASE', 1],
    [0, 2, 'VIEW', null],
    [1, 0, 'PURCHASE', 1],
    [1, 1, 'PURCHASE', 1],
    [1, 3, 'VIEW', null],
    [2, 0, 'VIEW', null],
    [2, 1, 'CLICK', null],
    [2, 2, 'VIEW', null],
    [3, 2, 'RATING', 5],
    [3, 3, 'RATING', 4],
    [3, 1, 'RATING', 1],
    [4, 2, 'VIEW', null],
    [4, 3, 'VIEW', null],
    [5, 3, 'CLICK', null],
    [5, 4, 'PURCHASE', 1],
  ];
  const interactions: InteractionInput[] = events.map(([user, item, type, value], t) => ({ user, item, type, value, occurredAt: t }));
  const r = buildInteractionMatrix(interactions, 6, 5, DEFAULT_SIGNALS);
  const itemMaps = Array.from({ length: 5 }, () => new Map<number, number>());
  for (let u = 0; u < r.rows; u++) for (let p = r.indptr[u]; p < r.indptr[u + 1]; p++) itemMaps[r.indices[p]].set(u, r.values[p]);

  it('matches the pair formulas on every pair, keeps positive scores only, best first, and counts pauses', async () => {
    let pauses = 0;
    const lists = await buildSimilarLists(
      r,
      strongestKinds(interactions, r.indptr, r.indices),
      { neighbours: 10, shrinkage: L, minCustomers: 2 },
      { sliceItems: 2, pause: async () => void pauses++ },
    );
    expect(pauses).toBe(2); // before items 2 and 4
    for (const metric of ['COSINE', 'PEARSON', 'EUCLIDEAN'] as SimilarityMetric[]) {
      for (let i = 0; i < 4; i++) {
        const got = behaviourNeighbours(lists, i, metric) ?? [];
        const want = [0, 1, 2, 3, 4]
          .filter((j) => j !== i)
          .map((j) => ({ item: j, score: pairScore(metric, pairStatsOf(itemMaps[i], itemMaps[j]), L) }))
          .filter((x) => x.score > 0)
          .sort((x, y) => y.score - x.score || x.item - y.item);
        expect(got.map((x) => x.item)).toEqual(want.map((x) => x.item));
        got.forEach((x, k) => expect(x.score).toBeCloseTo(want[k].score, 6));
        for (const x of got) expect(x.score > 0 && x.score <= 1).toBe(true);
      }
    }
    // Item 4 has one customer (< minCustomers): no behaviour list.
    expect(behaviourNeighbours(lists, 4, 'COSINE')).toBeNull();
  });

  it('says what the shared customers did: bought both (2 of 3), or the deepest level half of them reached', async () => {
    const lists = await buildSimilarLists(r, strongestKinds(interactions, r.indptr, r.indices), { neighbours: 10, shrinkage: L, minCustomers: 2 });
    const nb = behaviourNeighbours(lists, 0, 'COSINE')!;
    // Items 0 and 1: customers 0 and 1 bought both, customer 2 viewed 0 and clicked 1.
    expect(nb.find((x) => x.item === 1)).toMatchObject({ customers: 2, level: 'PURCHASE' });
    // Items 2 and 3: customer 3 rated both highly, customer 4 viewed both: half reached RATING.
    expect(behaviourNeighbours(lists, 2, 'COSINE')!.find((x) => x.item === 3)).toMatchObject({ customers: 1, level: 'RATING' });
    // Items 1 and 2 under PEARSON: customer 3 rated 1 star on item 1 (co-rated, not positive).
    const p12 = pairStatsOf(itemMaps[1], itemMaps[2]);
    expect(p12.n).toBe(3);
    expect(p12.p).toBe(2);
  });
});
