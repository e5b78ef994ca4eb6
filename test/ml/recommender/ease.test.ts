import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { easeGram, easeProblem, easeScores, fitEase, pruneEase, selectEaseItems, solveEase } from '../../../src/ml/recommender/ease.ts';
import {
  buildInteractionMatrix,
  createRng,
  DEFAULT_SIGNALS,
  MODEL_VERSION,
  RecommenderModel,
  trainRecommender,
  type InteractionInput,
  type TrainingProgress,
} from '../../../src/ml/recommender/index.ts';
import { invertSpd, jsMatMul } from '../../../src/ml/recommender/linalg.ts';
import { transpose } from '../../../src/ml/recommender/signals.ts';

/** Gauss–Jordan inverse with partial pivoting, in Float64: an independent reference. */
function referenceInverse(a: ArrayLike<number>, n: number): number[][] {
  const m = Array.from({ length: n }, (_, i) => [...Array.from({ length: n }, (_, j) => a[i * n + j]), ...Array.from({ length: n }, (_, j) => (i === j ? 1 : 0))]);
  for (let c = 0; c < n; c++) {
    let p = c;
    for (let r = c + 1; r < n; r++) if (Math.abs(m[r][c]) > Math.abs(m[p][c])) p = r;
    [m[c], m[p]] = [m[p], m[c]];
    const d = m[c][c];
    for (let j = 0; j < 2 * n; j++) m[c][j] /= d;
    for (let r = 0; r < n; r++) {
      if (r === c) continue;
      const f = m[r][c];
      for (let j = 0; j < 2 * n; j++) m[r][j] -= f * m[c][j];
    }
  }
  return m.map((row) => row.slice(n));
}

/** Interactions from a dense 0/1 user × item pattern (PURCHASE = positive signal). */
function fromPattern(rows: number[][]): InteractionInput[] {
  const out: InteractionInput[] = [];
  let t = 0;
  rows.forEach((row, u) => row.forEach((x, i) => x && out.push({ user: u, item: i, type: 'PURCHASE', occurredAt: ++t })));
  return out;
}

describe('EASE closed form', () => {
  // 6 users × 4 items; item 3 is never co-engaged with item 0.
  const X = [
    [1, 1, 0, 0],
    [1, 1, 1, 0],
    [0, 1, 1, 1],
    [0, 0, 1, 1],
    [1, 0, 1, 0],
    [0, 1, 0, 1],
  ];
  const r = buildInteractionMatrix(fromPattern(X), 6, 4, DEFAULT_SIGNALS);
  const items = Int32Array.from([0, 1, 2, 3]);

  it('builds XᵀX from binary positive signal (co-occurrence counts)', () => {
    const g = easeGram(r, items);
    for (let i = 0; i < 4; i++) {
      for (let j = 0; j < 4; j++) expect(g[i * 4 + j]).toBe(X.reduce((s, row) => s + row[i] * row[j], 0));
    }
  });

  it('B = I − P·diag(1/diag P) with P = (XᵀX + λI)⁻¹: matches a direct inverse, zero diagonal', () => {
    const lambda = 0.7;
    const g = easeGram(r, items);
    const a = Array.from(g, (v, idx) => v + (idx % 5 === 0 ? lambda : 0)); // diagonal of a 4×4 is every 5th entry
    const p = referenceInverse(a, 4);
    const b = solveEase(g, 4, lambda, jsMatMul);
    for (let i = 0; i < 4; i++) {
      expect(b[i * 4 + i]).toBe(0);
      for (let j = 0; j < 4; j++) {
        const expected = (i === j ? 1 : 0) - p[i][j] / p[j][j];
        expect(b[i * 4 + j]).toBeCloseTo(expected, 5);
      }
    }
    // Each column is the ridge regression of item j on the other items: (G + λI)·B_j = G_j − μ e_j.
    for (let j = 0; j < 4; j++) {
      const residual = [0, 1, 2, 3].map((i) => [0, 1, 2, 3].reduce((s, k) => s + a[i * 4 + k] * b[k * 4 + j], 0) - g[i * 4 + j]);
      residual.forEach((v, i) => i !== j && expect(v).toBeCloseTo(0, 4));
    }
  });

  it('recursive block inverse agrees with a Float64 reference (odd sizes, several recursion levels)', () => {
    const rng = createRng(3);
    for (const n of [7, 61, 130]) {
      const m = new Float64Array(n * n);
      for (let u = 0; u < 3 * n; u++) {
        const picks = Array.from({ length: 6 }, () => rng.int(n));
        for (const x of picks) for (const y of picks) m[x * n + y] += 1;
      }
      for (let i = 0; i < n; i++) m[i * n + i] += 2;
      const inv = invertSpd(Float32Array.from(m), n, jsMatMul, 8);
      const ref = referenceInverse(m, n);
      let maxErr = 0;
      let maxRef = 0;
      for (let i = 0; i < n; i++) {
        for (let j = 0; j < n; j++) {
          maxErr = Math.max(maxErr, Math.abs(inv[i * n + j] - ref[i][j]));
          maxRef = Math.max(maxRef, Math.abs(ref[i][j]));
        }
      }
      expect(maxErr / maxRef).toBeLessThan(1e-4);
    }
  });

  it('pruning keeps each row’s largest positive weights, sorted, over global item indices', () => {
    // Rows of B for modelled items [10, 20, 30, 40] (positions 0..3).
    const b = Float32Array.from([0, 0.5, -0.9, 0.2, 0.1, 0, 0.3, 0.7, -0.2, -0.1, 0, -0.3, 0.4, 0.4, 0.6, 0]);
    const lists = pruneEase(b, Int32Array.from([10, 20, 30, 40]), 50, 2);
    const row = (item: number): [number[], number[]] => {
      const lo = lists.indptr[item];
      const hi = lists.indptr[item + 1];
      return [Array.from(lists.indices.subarray(lo, hi)), Array.from(lists.weights.subarray(lo, hi), (w) => Math.round(w * 10) / 10)];
    };
    expect(row(10)).toEqual([
      [20, 40],
      [0.5, 0.2],
    ]); // −0.9 is large in magnitude but only lowers scores
    expect(row(20)).toEqual([
      [40, 30],
      [0.7, 0.3],
    ]);
    expect(row(30)).toEqual([[], []]); // no positive weight
    expect(row(40)).toEqual([
      [30, 10],
      [0.6, 0.4],
    ]); // tie 0.4/0.4: lower position first
    expect(row(0)).toEqual([[], []]); // not modelled
    expect(lists.indptr).toHaveLength(51);
  });

  it('selects the most engaged items up to the coverage target and the cap, never single-user items', () => {
    const pattern = Array.from({ length: 10 }, (_, u) => [1, u < 8 ? 1 : 0, u < 5 ? 1 : 0, u < 2 ? 1 : 0, u < 1 ? 1 : 0]);
    const m = buildInteractionMatrix(fromPattern(pattern), 10, 5, DEFAULT_SIGNALS);
    const mt = transpose(m);
    expect(Array.from(selectEaseItems(mt, 10, 1))).toEqual([0, 1, 2, 3]); // item 4 has one user
    expect(Array.from(selectEaseItems(mt, 2, 1))).toEqual([0, 1]);
    // Counts 10, 8, 5, 2, 1 of 26: 10 + 8 = 18 < 0.75·26 = 19.5, so a third item is needed.
    expect(Array.from(selectEaseItems(mt, 10, 0.75))).toEqual([0, 1, 2]);
  });
});

describe('EASE on planted structure', () => {
  /**
   * Two taste groups (items 0–14 and 15–29) plus a "blockbuster" item 30 that
   * 80% of all users engage with. A user of group A should be offered group-A
   * items, not the blockbuster nor group B.
   */
  function planted(): { interactions: InteractionInput[]; users: number } {
    const rng = createRng(7);
    const out: InteractionInput[] = [];
    let t = 0;
    const users = 120;
    for (let u = 0; u < users; u++) {
      const base = u % 2 === 0 ? 0 : 15;
      const picks = new Set<number>();
      while (picks.size < 6) picks.add(base + rng.int(15));
      if (rng.next() < 0.8) picks.add(30);
      if (rng.next() < 0.15) picks.add((base + 15 + rng.int(15)) % 30); // a little noise
      for (const i of picks) out.push({ user: u, item: i, type: 'PURCHASE', occurredAt: ++t });
    }
    return { interactions: out, users };
  }

  it('ranks the unseen items of the user’s group first', () => {
    const { interactions, users } = planted();
    const r = buildInteractionMatrix(interactions, users, 31, DEFAULT_SIGNALS);
    const problem = easeProblem(r, transpose(r), { maxItems: 100, coverage: 1, regularization: 1, neighbours: 30 });
    expect(problem.items.length).toBe(31);
    const fit = fitEase(problem, 1, 30);
    expect(fit.items).toBe(31);
    const history = [1, 4, 7, 30];
    const scores = new Float32Array(31);
    easeScores(
      fit.lists,
      history,
      history.map(() => 8),
      scores,
    );
    const ranked = Array.from({ length: 31 }, (_, i) => i)
      .filter((i) => !history.includes(i))
      .sort((a, b) => scores[b] - scores[a]);
    expect(ranked.slice(0, 8).every((i) => i < 15)).toBe(true);
    // Net-negative history (a disliked item) contributes nothing.
    const disliked = new Float32Array(31);
    easeScores(fit.lists, [16], [-3], disliked);
    expect(disliked.every((v) => v === 0)).toBe(true);
  });

  it('trains into the model: EASE stage reported, lists stored, evaluation reports EASE, blend uses it', async () => {
    const { interactions, users } = planted();
    const stages: TrainingProgress[] = [];
    const result = await trainRecommender(
      { userCount: users, itemCount: 31, interactions },
      // A fixed blend with EASE weight: the λ search still runs (tuneEase defaults to true).
      {
        als: { factors: 4, iterations: 3 },
        maxEvalUsers: 100,
        ease: { maxItems: 25, neighbours: 10 },
        blend: { collaborative: 0.5, knn: 0, content: 0, popularity: 0.1, ease: 1 },
      },
      { onProgress: (p) => stages.push(p) },
    );
    const easeStages = stages.filter((p) => p.stage === 'ease');
    expect(easeStages.length).toBeGreaterThanOrEqual(2);
    expect(easeStages.every((p) => typeof p.message === 'string' && /items, λ=/.test(p.message))).toBe(true);
    expect(result.tuning?.easeCandidates.length).toBeGreaterThanOrEqual(3);
    expect(result.metrics?.ease.users).toBe(result.metrics?.model.users);
    const model = result.model;
    expect(model.header.blend.ease).toBe(1);
    expect(model.header.ease?.items).toBe(25);
    expect(model.header.ease?.config.neighbours).toBe(10);
    expect(model.header.ease?.config.regularization).toBe(result.chosen.ease.regularization);
    let rows = 0;
    for (let i = 0; i < 31; i++) {
      const len = model.arrays.easeIndptr[i + 1] - model.arrays.easeIndptr[i];
      expect(len).toBeLessThanOrEqual(10);
      if (len > 0) rows++;
    }
    expect(rows).toBeGreaterThan(0);
    expect(rows).toBeLessThanOrEqual(25);
    // An EASE-only blend serves EASE's ranking for a session history (no fold-in needed).
    const easeOnly = new RecommenderModel({ ...model.header, candidates: 0, blend: { collaborative: 0, knn: 0, content: 0, popularity: 0, ease: 1 } }, model.arrays);
    // (The blockbuster is in the history: with the tuned λ it would rightly come first otherwise;
    // its own list still points at both groups, so one group-B item may follow.)
    const session = [2, 9, 30].map((item) => ({ item, type: 'PURCHASE' as const }));
    const recs = easeOnly.recommendForUser(null, session, { limit: 5, strategy: 'HYBRID' });
    expect(recs.slice(0, 3).every((r) => r.item < 15)).toBe(true);
    expect(recs.filter((r) => r.item < 15).length).toBeGreaterThanOrEqual(4);
    // Version 2 round trip keeps the lists and the served results.
    const loaded = RecommenderModel.deserialize(model.serialize());
    expect(loaded.arrays.easeWeights).toEqual(model.arrays.easeWeights);
    expect(loaded.header.ease).toEqual(model.header.ease);
    for (const u of [0, 1, 50]) {
      expect(loaded.recommendForUser(u, undefined, { limit: 10, strategy: 'HYBRID' })).toEqual(model.recommendForUser(u, undefined, { limit: 10, strategy: 'HYBRID' }));
    }
  }, 60_000);

  it('a fixed blend without `ease` (pre-EASE hyperparameters) skips EASE entirely', async () => {
    const { interactions, users } = planted();
    const stages: string[] = [];
    const { model, chosen } = await trainRecommender(
      { userCount: users, itemCount: 31, interactions },
      { evaluate: false, tuneAls: false, als: { factors: 4, iterations: 2 }, blend: { collaborative: 1, knn: 0.5, content: 0, popularity: 0.1 } },
      { onProgress: (p) => stages.push(p.stage) },
    );
    expect(chosen.blend.ease).toBe(0);
    expect(stages).not.toContain('ease');
    expect(model.header.ease).toBeNull();
    expect(model.arrays.easeIndices).toHaveLength(0);
  });
});

describe('model artifact versions', () => {
  const fixture = new URL('./fixtures/', import.meta.url);
  const v1 = new Uint8Array(readFileSync(new URL('model-v1.recm', fixture)));
  const expected = JSON.parse(readFileSync(new URL('model-v1.expected.json', fixture), 'utf8')) as Record<string, number[][] | number[]>;

  it('loads a version-1 artifact (written before EASE) and serves exactly what it served then', () => {
    expect(new DataView(v1.buffer, v1.byteOffset).getUint32(4, true)).toBe(1);
    const model = RecommenderModel.deserialize(v1);
    expect(model.header.blend.ease).toBe(0);
    expect(model.header.ease).toBeNull();
    expect(model.arrays.easeIndptr).toHaveLength(model.itemCount + 1);
    expect(model.arrays.easeIndices).toHaveLength(0);
    for (const strategy of ['HYBRID', 'COLLABORATIVE', 'CONTENT', 'POPULAR'] as const) {
      const got = [0, 5, 17].map((u) => model.recommendForUser(u, undefined, { limit: 5, strategy }).map((r) => r.item));
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
    expect(model.similarItems(2, 5).map((s) => s.item)).toEqual(expected.similar);
  });

  it('re-serialises a loaded version-1 model in the current format', () => {
    const bytes = RecommenderModel.deserialize(v1).serialize();
    expect(new DataView(bytes.buffer, bytes.byteOffset).getUint32(4, true)).toBe(MODEL_VERSION);
    expect(MODEL_VERSION).toBe(4);
    const again = RecommenderModel.deserialize(bytes);
    expect(again.header.blend.ease).toBe(0);
    expect(again.recommendForUser(0, undefined, { limit: 5, strategy: 'HYBRID' }).map((r) => r.item)).toEqual((expected.HYBRID as number[][])[0]);
  });

  it('refuses unknown versions', () => {
    const bytes = v1.slice();
    new DataView(bytes.buffer).setUint32(4, 99, true);
    expect(() => RecommenderModel.deserialize(bytes)).toThrow(/version 99/);
  });
});
