import { describe, expect, it } from 'vitest';
import {
  behaviourNeighbours,
  behaviourValue,
  buildInteractionMatrix,
  buildSimilarLists,
  DEFAULT_SIGNALS,
  pairScore,
  pairStatsOf,
  type InteractionInput,
} from '../../../src/ml/recommender/index.ts';
import { strongestKinds } from '../../../src/ml/recommender/history-kinds.ts';

const L = 20;
const b = behaviourValue;
const m = (entries: [number, number][]) => new Map(entries);

/** Pearson of two dense vectors, written out (the reference the stats must reproduce). */
function pearsonDense(x: number[], y: number[]): number {
  const n = x.length;
  const mx = x.reduce((s, v) => s + v, 0) / n;
  const my = y.reduce((s, v) => s + v, 0) / n;
  let cov = 0;
  let vx = 0;
  let vy = 0;
  for (let k = 0; k < n; k++) {
    cov += (x[k] - mx) * (y[k] - my);
    vx += (x[k] - mx) ** 2;
    vy += (y[k] - my) ** 2;
  }
  return cov / Math.sqrt(vx * vy);
}

describe('PEARSON over all customers (pearsonOver ALL_CUSTOMERS, hand-computed)', () => {
  it('is the correlation of the two behaviour vectors over every customer, absent = 0, shrunk by co-rated customers', () => {
    // 6 customers; A on 0,1,2; B on 1,2,3 (same data as the CO_RATED example).
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
    const x = [b(1), b(3), b(9), 0, 0, 0];
    const y = [0, b(1), b(9), b(3), 0, 0];
    const s = pairStatsOf(A, B, 6);
    expect(pairScore('PEARSON', s, L, 'ALL_CUSTOMERS')).toBeCloseTo(Math.max(0, pearsonDense(x, y)) * (2 / 22), 12);
    expect(pearsonDense(x, y)).toBeGreaterThan(0);
  });

  it('single views (constant values): CO_RATED has nothing to correlate, ALL_CUSTOMERS scores co-occurrence above chance', () => {
    const view = 1; // x of one view
    const A = m([
      [0, view],
      [1, view],
      [2, view],
    ]);
    const B = m([
      [0, view],
      [1, view],
      [3, view],
    ]);
    const s = pairStatsOf(A, B, 10);
    expect(pairScore('PEARSON', s, L, 'CO_RATED')).toBe(0);
    // 0/1 vectors over N = 10: the phi coefficient (N·c − a·b) / √(a(N−a)·b(N−b)), c = 2, a = b = 3.
    const phi = (10 * 2 - 3 * 3) / Math.sqrt(3 * 7 * 3 * 7);
    expect(pairScore('PEARSON', s, L, 'ALL_CUSTOMERS')).toBeCloseTo(phi * (2 / 22), 12);
    // The same co-occurrence among few customers is what chance gives: not similar.
    const few = pairStatsOf(A, B, 4); // (4·2 − 9) / … < 0
    expect(pairScore('PEARSON', few, L, 'ALL_CUSTOMERS')).toBe(0);
  });

  it('one shared customer is weak evidence; no overlap is 0; a vector with itself is 1 without shrinkage', () => {
    const a = m([
      [0, 8],
      [1, 1],
    ]);
    const c = m([
      [1, 8],
      [2, 1],
    ]);
    expect(pairScore('PEARSON', pairStatsOf(a, c, 100), L, 'ALL_CUSTOMERS')).toBeLessThanOrEqual(1 / 21 + 1e-12);
    expect(pairScore('PEARSON', pairStatsOf(m([[0, 8]]), m([[1, 8]]), 100), L, 'ALL_CUSTOMERS')).toBe(0);
    expect(pairScore('PEARSON', pairStatsOf(a, a, 100), 0, 'ALL_CUSTOMERS')).toBeCloseTo(1, 12);
    // An item every customer engaged with alike has no variance: 0.
    const everyone = m([
      [0, 1],
      [1, 1],
    ]);
    expect(pairScore('PEARSON', pairStatsOf(everyone, m([[0, 1]]), 2), L, 'ALL_CUSTOMERS')).toBe(0);
  });

  it('opposite tastes (a liked item against a disliked one) stay 0', () => {
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
    expect(pairScore('PEARSON', pairStatsOf(likesA, likesB, 3), L, 'ALL_CUSTOMERS')).toBe(0);
  });

  it('buildSimilarLists with ALL_CUSTOMERS matches the pair formula on every pair; COSINE and EUCLIDEAN do not change', async () => {
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
      [6, 4, 'VIEW', null],
      [7, 0, 'VIEW', null],
    ];
    const interactions: InteractionInput[] = events.map(([user, item, type, value], t) => ({ user, item, type, value, occurredAt: t }));
    const r = buildInteractionMatrix(interactions, 8, 5, DEFAULT_SIGNALS);
    const itemMaps = Array.from({ length: 5 }, () => new Map<number, number>());
    for (let u = 0; u < r.rows; u++) for (let p = r.indptr[u]; p < r.indptr[u + 1]; p++) itemMaps[r.indices[p]].set(u, r.values[p]);
    const kinds = strongestKinds(interactions, r.indptr, r.indices);
    const all = await buildSimilarLists(r, kinds, { neighbours: 10, shrinkage: L, minCustomers: 1, pearsonOver: 'ALL_CUSTOMERS' });
    const coRated = await buildSimilarLists(r, kinds, { neighbours: 10, shrinkage: L, minCustomers: 1 });
    let listed = 0;
    for (let i = 0; i < 5; i++) {
      const got = behaviourNeighbours(all, i, 'PEARSON') ?? [];
      const want = [0, 1, 2, 3, 4]
        .filter((j) => j !== i)
        .map((j) => ({ item: j, score: pairScore('PEARSON', pairStatsOf(itemMaps[i], itemMaps[j], 8), L, 'ALL_CUSTOMERS') }))
        .filter((x) => x.score > 0)
        .sort((x, y) => y.score - x.score || x.item - y.item);
      expect(got.map((x) => x.item)).toEqual(want.map((x) => x.item));
      got.forEach((x, k) => expect(x.score).toBeCloseTo(want[k].score, 6));
      listed += got.length;
      for (const metric of ['COSINE', 'EUCLIDEAN'] as const) expect(behaviourNeighbours(all, i, metric)).toEqual(behaviourNeighbours(coRated, i, metric));
    }
    expect(listed).toBeGreaterThan(0);
  });
});
