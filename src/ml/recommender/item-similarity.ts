/**
 * Item–item similarity on behaviour: COSINE, PEARSON and EUCLIDEAN computed on what they are
 * defined for, the items' behaviour vectors (one value per customer), and the top-N neighbour
 * lists per metric precomputed at training so `similarItems` is a lookup.
 *
 * Behaviour value of customer u for item i: b_ui = sign(x_ui)·log(1 + |x_ui|), x_ui the
 * aggregated signed signal of signals.ts (a view 1 … a purchase 8, ratings ≤ 2 negative). The log
 * keeps one heavy pair (many repeated views) from dominating a vector.
 *
 * With C = customers with any signal on both items (co-rated) and P = customers with positive
 * signal on both (shared), n = |C|, p = |P|, and the shrinkage s(k) = k / (k + λ) (significance
 * weighting: one shared customer is weak evidence, hundreds are strong):
 * - COSINE    = cos(b⁺_i, b⁺_j) · s(p), b⁺ = max(0, b) over all customers. In [0, 1].
 * - PEARSON   = max(0, r) · s(n), r the correlation of b centred by each item's own mean, over
 *               the customers `pearsonOver` says:
 *               CO_RATED (default): over C, each item's mean over all its customers; 0 when either
 *               centred part is constant on C (no variance, no evidence of co-variation);
 *               ALL_CUSTOMERS: over every customer of the matrix (N), absent = 0 (no signal, between
 *               a liked and a disliked item), the means over all N: the correlation of the two
 *               behaviour vectors as vectors. On funnel data most values are single views, so over C
 *               they are constant and CO_RATED has nothing to correlate; over all customers the
 *               co-occurrence itself is the co-variation, minus what chance gives (a·b / N).
 *               Negative correlation is "not similar": 0.
 * - EUCLIDEAN = 1 / (1 + d) · s(n), d the distance of the two behaviour vectors (absent = 0) as a
 *               root mean square over the customers of either item, U_i ∪ U_j (so it does not grow
 *               with the audience): d² = Σ_{U_i ∪ U_j} (b_ui − b_uj)² / |U_i ∪ U_j|. On 0/1 vectors
 *               d² = 1 − Jaccard. In (0, 1].
 * No overlap (n = 0, or p = 0 for COSINE) is 0: such a pair is never listed.
 *
 * Cost: per item the co-occurrences are accumulated over its customers' rows (Σ_u n_u² visits
 * in all, memory O(items) per accumulator, no dense items × items matrix), the items handed out
 * in slices with `pause()` awaited between them.
 */
import { TopKBuffer } from '../shared/top-k.js';
import type { SimilarityMetric } from './similarity.js';
import type { CsrMatrix } from './signals.js';
import { SHARED_LEVELS, type SharedLevel } from './types.js';

export interface SimilarConfig {
  /** Neighbours kept per item and metric. */
  neighbours: number;
  /** λ of the shrinkage k / (k + λ) applied to every metric (k = customers the pair rests on). */
  shrinkage: number;
  /** Items with fewer customers with positive signal get no behaviour list (answered from the learned factors). */
  minCustomers: number;
  /** The customers PEARSON correlates over (module comment); absent (headers written before it): CO_RATED. */
  pearsonOver?: PearsonOver;
}

export const PEARSON_OVER = ['CO_RATED', 'ALL_CUSTOMERS'] as const;
export type PearsonOver = (typeof PEARSON_OVER)[number];

/** Defaults (measured with `npm run bench:similar`, docs/benchmarks.md). */
export const DEFAULT_SIMILAR: Required<SimilarConfig> = { neighbours: 50, shrinkage: 20, minCustomers: 2, pearsonOver: 'CO_RATED' };

/** The metrics computed on behaviour, in the order their lists are stored. */
export const BEHAVIOUR_METRICS: readonly SimilarityMetric[] = ['COSINE', 'PEARSON', 'EUCLIDEAN'];

// SHARED_LEVELS (types.ts) indices: the five funnel kinds, then INTERACTED.
const FUNNEL_LEVELS = 5;
const INTERACTED = 5;
const LEVEL_BITS = 3;

/** Neighbour lists per metric, CSR over (metric, item): row m·items + i. */
export interface SimilarLists {
  metrics: readonly SimilarityMetric[];
  itemCount: number;
  /** metrics·items + 1 offsets. */
  indptr: Int32Array;
  items: Int32Array;
  scores: Float32Array;
  /** customers << 3 | level index in SHARED_LEVELS: who the pair rests on, for the reason. */
  shared: Int32Array;
}

/** A neighbour with what it shares with the query item. */
export interface BehaviourNeighbour {
  item: number;
  score: number;
  customers: number;
  level: SharedLevel;
}

export function behaviourValue(x: number): number {
  return Math.sign(x) * Math.log1p(Math.abs(x));
}

export function shrink(k: number, lambda: number): number {
  return k > 0 ? k / (k + lambda) : 0;
}

/** Sufficient statistics of one item pair over their customers. */
export interface PairStats {
  /** Co-rated customers (any signal on both). */
  n: number;
  /** Σ_C (b_ui − m_i)(b_uj − m_j), Σ_C (b_ui − m_i)², Σ_C (b_uj − m_j)². */
  cov: number;
  varA: number;
  varB: number;
  /** Σ_C b_ui·b_uj; each item's Σ b² and customer count over all its customers (for the distance over U_i ∪ U_j). */
  dotAll: number;
  sqA: number;
  sqB: number;
  countA: number;
  countB: number;
  /** Customers positive on both, Σ_P b_ui·b_uj and the two items' full positive norms ‖b⁺‖. */
  p: number;
  dot: number;
  normA: number;
  normB: number;
  /** Each item's Σ b over all its customers, and N, the customers of the matrix (PEARSON over ALL_CUSTOMERS). */
  sumA: number;
  sumB: number;
  customers: number;
}

/** The metric's score of a pair, in [0, 1] (see the module comment). */
export function pairScore(metric: SimilarityMetric, s: PairStats, lambda: number, pearsonOver: PearsonOver = DEFAULT_SIMILAR.pearsonOver): number {
  switch (metric) {
    case 'COSINE':
      return s.p > 0 && s.normA > 0 && s.normB > 0 ? Math.min(1, s.dot / (s.normA * s.normB)) * shrink(s.p, lambda) : 0;
    case 'PEARSON': {
      if (pearsonOver === 'ALL_CUSTOMERS') {
        if (s.n === 0 || !(s.customers > 0)) return 0;
        const cov = s.dotAll - (s.sumA * s.sumB) / s.customers;
        const va = s.sqA - (s.sumA * s.sumA) / s.customers;
        const vb = s.sqB - (s.sumB * s.sumB) / s.customers;
        if (!(va > 1e-12) || !(vb > 1e-12)) return 0;
        return Math.max(0, Math.min(1, cov / Math.sqrt(va * vb))) * shrink(s.n, lambda);
      }
      // Relative guard: centred values that cancel to rounding noise are constant.
      if (s.n === 0 || !(s.varA > 1e-12) || !(s.varB > 1e-12)) return 0;
      const r = s.cov / Math.sqrt(s.varA * s.varB);
      return Math.max(0, Math.min(1, r)) * shrink(s.n, lambda);
    }
    case 'EUCLIDEAN': {
      if (s.n === 0) return 0;
      const union = s.countA + s.countB - s.n;
      return (1 / (1 + Math.sqrt(Math.max(0, s.sqA + s.sqB - 2 * s.dotAll) / union))) * shrink(s.n, lambda);
    }
  }
}

/** Reference for tests and checks: two items' stats from their (customer → signal x) maps. */
export function pairStatsOf(a: ReadonlyMap<number, number>, b: ReadonlyMap<number, number>, customers = 0): PairStats {
  const mean = (m: ReadonlyMap<number, number>) => {
    let s = 0;
    for (const x of m.values()) s += behaviourValue(x);
    return m.size ? s / m.size : 0;
  };
  const norm = (m: ReadonlyMap<number, number>) => {
    let s = 0;
    for (const x of m.values()) if (x > 0) s += behaviourValue(x) ** 2;
    return Math.sqrt(s);
  };
  const sq = (m: ReadonlyMap<number, number>) => {
    let s = 0;
    for (const x of m.values()) s += behaviourValue(x) ** 2;
    return s;
  };
  const ma = mean(a);
  const mb = mean(b);
  const s: PairStats = {
    ...{ n: 0, cov: 0, varA: 0, varB: 0, dotAll: 0, sqA: sq(a), sqB: sq(b), countA: a.size, countB: b.size, p: 0, dot: 0, normA: norm(a), normB: norm(b) },
    ...{ sumA: ma * a.size, sumB: mb * b.size, customers },
  };
  for (const [u, xa] of a) {
    const xb = b.get(u);
    if (xb === undefined) continue;
    const va = behaviourValue(xa);
    const vb = behaviourValue(xb);
    s.n++;
    s.cov += (va - ma) * (vb - mb);
    s.varA += (va - ma) ** 2;
    s.varB += (vb - mb) ** 2;
    s.dotAll += va * vb;
    if (xa > 0 && xb > 0) {
      s.p++;
      s.dot += va * vb;
    }
  }
  return s;
}

export interface BuildSimilarOptions {
  /** Awaited between slices of items (the caller lets its event loop run). */
  pause?: () => Promise<void>;
  onProgress?: (done: number, total: number) => void;
  /** Items per slice. */
  sliceItems?: number;
  metrics?: readonly SimilarityMetric[];
}

/** Item-side view of the matrix: customers per item with behaviour values and levels. */
interface ItemSide {
  indptr: Int32Array;
  users: Int32Array;
  values: Float64Array;
  levels: Uint8Array;
}

function itemSide(r: CsrMatrix, levels: ArrayLike<number>): ItemSide {
  const indptr = new Int32Array(r.cols + 1);
  for (let p = 0; p < r.indices.length; p++) indptr[r.indices[p] + 1]++;
  for (let c = 0; c < r.cols; c++) indptr[c + 1] += indptr[c];
  const fill = indptr.slice(0, r.cols);
  const users = new Int32Array(r.indices.length);
  const values = new Float64Array(r.indices.length);
  const lv = new Uint8Array(r.indices.length);
  for (let u = 0; u < r.rows; u++) {
    for (let p = r.indptr[u]; p < r.indptr[u + 1]; p++) {
      const q = fill[r.indices[p]]++;
      users[q] = u;
      values[q] = behaviourValue(r.values[p]);
      lv[q] = levels[p];
    }
  }
  return { indptr, users, values, levels: lv };
}

/**
 * Top-`config.neighbours` behaviour neighbours of every item under each metric, from the
 * user × item signal matrix `r` and the strongest interaction kind of each of its entries.
 */
export async function buildSimilarLists(
  r: CsrMatrix,
  /** Per entry of r, the index in KIND_STRENGTH of its strongest interaction (strongestKinds, history-kinds.ts). */
  levels: ArrayLike<number>,
  config: SimilarConfig,
  options: BuildSimilarOptions = {},
): Promise<SimilarLists> {
  const metrics = options.metrics ?? BEHAVIOUR_METRICS;
  const nItems = r.cols;
  const side = itemSide(r, levels);
  const rowValues = new Float64Array(r.values.length);
  for (let p = 0; p < r.values.length; p++) rowValues[p] = behaviourValue(r.values[p]);

  const mean = new Float64Array(nItems);
  const norm = new Float64Array(nItems);
  const sqAll = new Float64Array(nItems);
  const positive = new Int32Array(nItems);
  for (let i = 0; i < nItems; i++) {
    let s = 0;
    let q = 0;
    for (let e = side.indptr[i]; e < side.indptr[i + 1]; e++) {
      const v = side.values[e];
      s += v;
      sqAll[i] += v * v;
      if (v > 0) {
        q += v * v;
        positive[i]++;
      }
    }
    const n = side.indptr[i + 1] - side.indptr[i];
    mean[i] = n > 0 ? s / n : 0;
    norm[i] = Math.sqrt(q);
  }

  // Accumulators over the co-occurring items j of the current item i (reset through `touched`).
  const n = new Int32Array(nItems);
  const p = new Int32Array(nItems);
  const dot = new Float64Array(nItems);
  const cov = new Float64Array(nItems);
  const varA = new Float64Array(nItems);
  const varB = new Float64Array(nItems);
  const dotAll = new Float64Array(nItems);
  // Customers positive on both, by the shallower of their two levels.
  const atLevel = new Int32Array(nItems * FUNNEL_LEVELS);
  const touched = new Int32Array(nItems);
  const k = Math.max(1, config.neighbours);
  const tops = metrics.map(() => new TopKBuffer(k));
  const rows: { items: Int32Array; scores: Float32Array; shared: Int32Array }[][] = metrics.map(() => new Array(nItems));
  const empty = { items: new Int32Array(0), scores: new Float32Array(0), shared: new Int32Array(0) };
  const stats: PairStats = {
    n: 0,
    cov: 0,
    varA: 0,
    varB: 0,
    dotAll: 0,
    sqA: 0,
    sqB: 0,
    countA: 0,
    countB: 0,
    p: 0,
    dot: 0,
    normA: 0,
    normB: 0,
    sumA: 0,
    sumB: 0,
    customers: r.rows,
  };
  const pearsonOver = config.pearsonOver ?? DEFAULT_SIMILAR.pearsonOver;
  const slice = Math.max(1, options.sliceItems ?? 500);

  for (let i = 0; i < nItems; i++) {
    if (i > 0 && i % slice === 0) {
      options.onProgress?.(i, nItems);
      if (options.pause) await options.pause();
    }
    if (positive[i] < config.minCustomers) {
      for (let m = 0; m < metrics.length; m++) rows[m][i] = empty;
      continue;
    }
    let nTouched = 0;
    const mi = mean[i];
    for (let e = side.indptr[i]; e < side.indptr[i + 1]; e++) {
      const u = side.users[e];
      const vi = side.values[e];
      const ci = vi - mi;
      const li = side.levels[e];
      for (let q = r.indptr[u]; q < r.indptr[u + 1]; q++) {
        const j = r.indices[q];
        if (j === i) continue;
        if (n[j] === 0) touched[nTouched++] = j;
        const vj = rowValues[q];
        const cj = vj - mean[j];
        n[j]++;
        cov[j] += ci * cj;
        varA[j] += ci * ci;
        varB[j] += cj * cj;
        dotAll[j] += vi * vj;
        if (vi > 0 && vj > 0) {
          p[j]++;
          dot[j] += vi * vj;
          const lj = levels[q];
          // biome-ignore lint/complexity/useMathMinMax: the innermost loop of the similarity build; a comparison, no call
          atLevel[j * FUNNEL_LEVELS + (li < lj ? li : lj)]++;
        }
      }
    }
    for (const top of tops) top.reset();
    stats.normA = norm[i];
    stats.sqA = sqAll[i];
    stats.countA = side.indptr[i + 1] - side.indptr[i];
    stats.sumA = mean[i] * stats.countA;
    for (let t = 0; t < nTouched; t++) {
      const j = touched[t];
      stats.n = n[j];
      stats.p = p[j];
      stats.dot = dot[j];
      stats.cov = cov[j];
      stats.varA = varA[j];
      stats.varB = varB[j];
      stats.dotAll = dotAll[j];
      stats.sqB = sqAll[j];
      stats.countB = side.indptr[j + 1] - side.indptr[j];
      stats.normB = norm[j];
      stats.sumB = mean[j] * stats.countB;
      for (let m = 0; m < metrics.length; m++) {
        const s = pairScore(metrics[m], stats, config.shrinkage, pearsonOver);
        if (s > 0) tops[m].offer(s, j);
      }
    }
    for (let m = 0; m < metrics.length; m++) {
      const top = tops[m];
      const row = { items: top.ids.slice(0, top.size), scores: Float32Array.from(top.values.subarray(0, top.size)), shared: new Int32Array(top.size) };
      for (let t = 0; t < top.size; t++) row.shared[t] = sharedCode(n[row.items[t]], p[row.items[t]], atLevel, row.items[t]);
      rows[m][i] = row;
    }
    for (let t = 0; t < nTouched; t++) {
      const j = touched[t];
      n[j] = 0;
      p[j] = 0;
      dot[j] = 0;
      cov[j] = 0;
      varA[j] = 0;
      varB[j] = 0;
      dotAll[j] = 0;
      atLevel.fill(0, j * FUNNEL_LEVELS, (j + 1) * FUNNEL_LEVELS);
    }
  }
  options.onProgress?.(nItems, nItems);
  return packLists(metrics, nItems, rows);
}

/**
 * The deepest level at least half of the customers positive on both reached with both items,
 * with how many did; co-rated customers only (`INTERACTED`) when none is positive on both.
 */
function sharedCode(coRated: number, positiveBoth: number, atLevel: Int32Array, j: number): number {
  if (positiveBoth === 0) return (coRated << LEVEL_BITS) | INTERACTED;
  let atLeast = 0;
  for (let l = FUNNEL_LEVELS - 1; l >= 0; l--) {
    atLeast += atLevel[j * FUNNEL_LEVELS + l];
    if (2 * atLeast >= positiveBoth) return (atLeast << LEVEL_BITS) | l;
  }
  return (positiveBoth << LEVEL_BITS) | 0;
}

function packLists(metrics: readonly SimilarityMetric[], nItems: number, rows: { items: Int32Array; scores: Float32Array; shared: Int32Array }[][]): SimilarLists {
  const indptr = new Int32Array(metrics.length * nItems + 1);
  let total = 0;
  for (let m = 0; m < metrics.length; m++) for (let i = 0; i < nItems; i++) indptr[m * nItems + i + 1] = total += rows[m][i].items.length;
  const items = new Int32Array(total);
  const scores = new Float32Array(total);
  const shared = new Int32Array(total);
  for (let m = 0; m < metrics.length; m++) {
    for (let i = 0; i < nItems; i++) {
      const o = indptr[m * nItems + i];
      items.set(rows[m][i].items, o);
      scores.set(rows[m][i].scores, o);
      shared.set(rows[m][i].shared, o);
    }
  }
  return { metrics, itemCount: nItems, indptr, items, scores, shared };
}

/** No lists (models trained before behaviour similarity). */
export function emptySimilarLists(itemCount: number): SimilarLists {
  return { metrics: [], itemCount, indptr: new Int32Array(1), items: new Int32Array(0), scores: new Float32Array(0), shared: new Int32Array(0) };
}

/** Serving: the stored neighbours of `item` under `metric`, best first; null when the item has no behaviour list. */
export function behaviourNeighbours(lists: SimilarLists, item: number, metric: SimilarityMetric): BehaviourNeighbour[] | null {
  const m = lists.metrics.indexOf(metric);
  if (m < 0 || !(item >= 0 && item < lists.itemCount)) return null;
  const lo = lists.indptr[m * lists.itemCount + item];
  const hi = lists.indptr[m * lists.itemCount + item + 1];
  if (hi === lo) return null;
  const out: BehaviourNeighbour[] = [];
  for (let q = lo; q < hi; q++) {
    const code = lists.shared[q];
    out.push({ item: lists.items[q], score: lists.scores[q], customers: code >>> LEVEL_BITS, level: SHARED_LEVELS[code & ((1 << LEVEL_BITS) - 1)] });
  }
  return out;
}
