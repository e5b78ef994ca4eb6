/**
 * Offline evaluation with a temporal hold-out: for every user the latest
 * `testFraction` of their interactions (by occurredAt) is the test set, the rest
 * trains. Ranking is over the full catalogue minus the user's training items;
 * relevant = test items not already in the user's training history. Metrics
 * for the model's default strategy and the baselines come from the same run.
 */
import { createRng } from './random.js';
import { averagePrecisionAtK, catalogueCoverage, ndcgAtK, recallAtK, topK } from './metrics.js';
import { blendScores, standardise, type RecommenderModel, type ScoreComponents, type UserHistory } from './model.js';
import { timeOf, signalWeight } from './signals.js';
import { itemMatrix } from './tf-ops.js';
import type { BlendWeights, HistoryEntry, InteractionInput, RankingMetrics, SignalConfig, Strategy } from './types.js';

export interface TemporalSplit {
  train: InteractionInput[];
  test: InteractionInput[];
}

/**
 * Per user: sort by time (stable), the last round(n·f) events (at most n−1, so
 * every evaluated user keeps some history) are test. Users with < 2 events are
 * train-only.
 */
export function temporalSplit(interactions: readonly InteractionInput[], testFraction = 0.2): TemporalSplit {
  const byUser = new Map<number, number[]>();
  interactions.forEach((it, idx) => {
    let list = byUser.get(it.user);
    if (list === undefined) byUser.set(it.user, (list = []));
    list.push(idx);
  });
  const isTest = new Uint8Array(interactions.length);
  for (const list of byUser.values()) {
    if (list.length < 2) continue;
    list.sort((a, b) => timeOf(interactions[a].occurredAt) - timeOf(interactions[b].occurredAt) || a - b);
    const nTest = Math.min(list.length - 1, Math.round(list.length * testFraction));
    for (let j = list.length - nTest; j < list.length; j++) isTest[list[j]] = 1;
  }
  const train: InteractionInput[] = [];
  const test: InteractionInput[] = [];
  interactions.forEach((it, idx) => (isTest[idx] ? test : train).push(it));
  return { train, test };
}

export type RelevanceMode = 'ANY' | 'POSITIVE';

/**
 * Relevant test items per user, excluding items in the user's training
 * history (they are never recommended). 'POSITIVE' drops items whose test
 * signal is net negative (e.g. only low ratings).
 */
export function relevantItems(
  split: TemporalSplit,
  signals: SignalConfig,
  mode: RelevanceMode = 'ANY',
): Map<number, Set<number>> {
  const trainSeen = new Map<number, Set<number>>();
  for (const it of split.train) {
    let s = trainSeen.get(it.user);
    if (s === undefined) trainSeen.set(it.user, (s = new Set()));
    s.add(it.item);
  }
  const net = new Map<number, Map<number, number>>();
  for (const it of split.test) {
    if (trainSeen.get(it.user)?.has(it.item)) continue;
    let m = net.get(it.user);
    if (m === undefined) net.set(it.user, (m = new Map()));
    m.set(it.item, (m.get(it.item) ?? 0) + signalWeight(signals, it.type, it.value));
  }
  const out = new Map<number, Set<number>>();
  for (const [u, m] of net) {
    const s = new Set<number>();
    for (const [item, w] of m) if (mode === 'ANY' || w > 0) s.add(item);
    if (s.size > 0) out.set(u, s);
  }
  return out;
}

/** Deterministic sample of at most `max` users (sorted for stable output). */
export function sampleUsers(users: Iterable<number>, max: number, seed = 1): number[] {
  const all = [...users].sort((a, b) => a - b);
  if (all.length <= max) return all;
  const rng = createRng(seed);
  for (let i = all.length - 1; i > 0; i--) {
    const j = rng.int(i + 1);
    [all[i], all[j]] = [all[j], all[i]];
  }
  return all.slice(0, max).sort((a, b) => a - b);
}

class MetricAccumulator {
  private recall = 0;
  private ndcg = 0;
  private map = 0;
  private n = 0;
  private readonly lists: Int32Array[] = [];

  add(ranked: Int32Array, relevant: ReadonlySet<number>): void {
    this.recall += recallAtK(ranked, relevant, 20);
    this.ndcg += ndcgAtK(ranked, relevant, 10);
    this.map += averagePrecisionAtK(ranked, relevant, 10);
    this.lists.push(ranked);
    this.n++;
  }

  result(itemCount: number): RankingMetrics {
    const d = this.n || 1;
    return {
      recallAt20: this.recall / d,
      ndcgAt10: this.ndcg / d,
      mapAt10: this.map / d,
      coverageAt20: catalogueCoverage(this.lists, itemCount),
      users: this.n,
    };
  }
}

export interface ComponentBatchUser {
  user: number;
  history: UserHistory;
  components: ScoreComponents;
}

/**
 * Computes collaborative (batched on TensorFlow.js), item-kNN and content
 * scores for users, `batchSize` at a time, calling `visit` per user.
 */
export function forEachUserComponents(
  model: RecommenderModel,
  users: readonly number[],
  visit: (u: ComponentBatchUser) => void,
  batchSize = 256,
): void {
  const k = model.header.factors;
  const n = model.itemCount;
  const handle = itemMatrix(model.arrays.itemFactors, n, k);
  try {
    for (let start = 0; start < users.length; start += batchSize) {
      const batch = users.slice(start, start + batchSize);
      const rows = new Float32Array(batch.length * k);
      batch.forEach((u, b) => rows.set(model.arrays.userFactors.subarray(u * k, (u + 1) * k), b * k));
      const cf = handle.scoreBatch(rows, batch.length);
      batch.forEach((u, b) => {
        const history = model.historyOf(u);
        visit({
          user: u,
          history,
          components: {
            collaborative: history.items.length > 0 ? cf.subarray(b * n, (b + 1) * n) : null,
            knn: model.knnScores(history),
            content: model.contentScores(model.contentProfile(history)),
          },
        });
      });
    }
  } finally {
    handle.dispose();
  }
}

export interface ModelEvaluation {
  hybrid: RankingMetrics;
  collaborative: RankingMetrics;
  content: RankingMetrics;
  popularity: RankingMetrics;
  itemKnn: RankingMetrics;
}

/**
 * Evaluates a model trained on `split.train` against `relevant` (from the
 * same split). All strategies and baselines are ranked for the same users.
 */
export function evaluateModel(
  model: RecommenderModel,
  relevant: ReadonlyMap<number, ReadonlySet<number>>,
  opts: { maxUsers?: number; seed?: number; blend?: BlendWeights } = {},
): ModelEvaluation {
  const users = sampleUsers([...relevant.keys()].filter((u) => u < model.userCount), opts.maxUsers ?? 3000, opts.seed);
  const n = model.itemCount;
  const acc = {
    hybrid: new MetricAccumulator(),
    collaborative: new MetricAccumulator(),
    content: new MetricAccumulator(),
    popularity: new MetricAccumulator(),
    itemKnn: new MetricAccumulator(),
  };
  const blend = opts.blend ?? model.header.blend;
  const out = new Float32Array(n);
  const scratch = new Float32Array(n);
  const popularity = model.arrays.popularity;
  forEachUserComponents(model, users, ({ user, history, components }) => {
    const rel = relevant.get(user);
    if (rel === undefined) return;
    const seen = new Set<number>(history.items);
    const skip = (i: number): boolean => seen.has(i);
    const rank = (scores: Float32Array): Int32Array => topK(scores, 20, skip).items;
    if (history.items.length === 0) {
      // Cold user: every strategy falls back to popularity, as in serving.
      const pop = rank(model.popularityZ);
      acc.hybrid.add(pop, rel);
      acc.collaborative.add(pop, rel);
      acc.content.add(pop, rel);
      acc.itemKnn.add(rank(popularity), rel);
      acc.popularity.add(rank(popularity), rel);
      return;
    }
    acc.hybrid.add(rank(blendScores(components, model.popularityZ, blend, out, scratch)), rel);
    acc.collaborative.add(rank(components.collaborative ?? model.popularityZ), rel);
    acc.content.add(rank(components.content ?? model.popularityZ), rel);
    acc.itemKnn.add(rank(components.knn ?? popularity), rel);
    acc.popularity.add(rank(popularity), rel);
  });
  return {
    hybrid: acc.hybrid.result(n),
    collaborative: acc.collaborative.result(n),
    content: acc.content.result(n),
    popularity: acc.popularity.result(n),
    itemKnn: acc.itemKnn.result(n),
  };
}

/** NDCG@10 of collaborative scores only (cheap: used to compare ALS candidates). */
export function collaborativeNdcg(
  model: RecommenderModel,
  relevant: ReadonlyMap<number, ReadonlySet<number>>,
  opts: { maxUsers?: number; seed?: number } = {},
): number {
  const users = sampleUsers([...relevant.keys()].filter((u) => u < model.userCount), opts.maxUsers ?? 1000, opts.seed);
  const k = model.header.factors;
  const n = model.itemCount;
  const handle = itemMatrix(model.arrays.itemFactors, n, k);
  let total = 0;
  let counted = 0;
  try {
    for (let start = 0; start < users.length; start += 256) {
      const batch = users.slice(start, start + 256);
      const rows = new Float32Array(batch.length * k);
      batch.forEach((u, b) => rows.set(model.arrays.userFactors.subarray(u * k, (u + 1) * k), b * k));
      const cf = handle.scoreBatch(rows, batch.length);
      batch.forEach((u, b) => {
        const rel = relevant.get(u);
        const h = model.historyOf(u);
        if (rel === undefined || h.items.length === 0) return;
        const seen = new Set<number>(h.items);
        total += ndcgAtK(topK(cf.subarray(b * n, (b + 1) * n), 10, (i) => seen.has(i)).items, rel, 10);
        counted++;
      });
    }
  } finally {
    handle.dispose();
  }
  return counted === 0 ? 0 : total / counted;
}

/**
 * Picks blend weights by NDCG@10 on a validation split: components are
 * standardised once per user, then every grid point is a weighted sum + top-K.
 */
export function tuneBlend(
  model: RecommenderModel,
  relevant: ReadonlyMap<number, ReadonlySet<number>>,
  start: BlendWeights,
  opts: { maxUsers?: number; seed?: number; values?: Partial<Record<keyof BlendWeights, number[]>>; rounds?: number } = {},
): { best: BlendWeights; ndcg: number; evaluated: number } {
  const users = sampleUsers([...relevant.keys()].filter((u) => u < model.userCount), opts.maxUsers ?? 400, opts.seed);
  const n = model.itemCount;
  // Standardised components are cached per user (4 × items floats each).
  interface Cached { rel: ReadonlySet<number>; seen: Set<number>; zc: Float32Array | null; zk: Float32Array; zt: Float32Array }
  const cache: Cached[] = [];
  forEachUserComponents(model, users, ({ user, history, components }) => {
    const rel = relevant.get(user);
    if (rel === undefined || history.items.length === 0) return;
    cache.push({
      rel,
      seen: new Set<number>(history.items),
      zc: components.collaborative === null ? null : standardise(components.collaborative),
      zk: standardise(components.knn as Float32Array),
      zt: standardise(components.content as Float32Array),
    });
  });
  const pz = model.popularityZ;
  const out = new Float32Array(n);
  const memo = new Map<string, number>();
  const score = (w: BlendWeights): number => {
    const key = `${w.collaborative}|${w.knn}|${w.content}|${w.popularity}`;
    const hit = memo.get(key);
    if (hit !== undefined) return hit;
    let total = 0;
    for (const c of cache) {
      const wc = c.zc === null ? 0 : w.collaborative;
      for (let i = 0; i < n; i++) out[i] = (c.zc === null ? 0 : wc * c.zc[i]) + w.knn * c.zk[i] + w.content * c.zt[i] + w.popularity * pz[i];
      total += ndcgAtK(topK(out, 10, (i) => c.seen.has(i)).items, c.rel, 10);
    }
    const v = cache.length === 0 ? 0 : total / cache.length;
    memo.set(key, v);
    return v;
  };
  const values: Record<keyof BlendWeights, number[]> = {
    collaborative: opts.values?.collaborative ?? [0, 0.5, 1],
    knn: opts.values?.knn ?? [0, 0.25, 0.5, 1],
    content: opts.values?.content ?? [0, 0.1, 0.25, 0.5],
    popularity: opts.values?.popularity ?? [0, 0.1, 0.25, 0.5, 1],
  };
  let best = { ...start };
  let bestScore = score(best);
  // Coordinate ascent: a handful of evaluations instead of a full grid.
  for (let round = 0; round < (opts.rounds ?? 2); round++) {
    let improved = false;
    for (const key of ['popularity', 'knn', 'content', 'collaborative'] as const) {
      for (const v of values[key]) {
        const cand = { ...best, [key]: v };
        if (cand.collaborative + cand.knn + cand.content + cand.popularity === 0) continue;
        const sc = score(cand);
        if (sc > bestScore + 1e-9) {
          best = cand;
          bestScore = sc;
          improved = true;
        }
      }
    }
    if (!improved) break;
  }
  return { best, ndcg: bestScore, evaluated: memo.size };
}

/** One evaluated user in a model's own index space: training history and relevant test items. */
export interface HeldOutUser {
  history: readonly HistoryEntry[];
  relevant: ReadonlySet<number>;
}

/**
 * Scores any model (e.g. an older stored version) on a hold-out described by per-user
 * training histories, with the protocol of `evaluateModel`: each user is folded in from
 * their training history alone (no retraining), the full catalogue minus those history
 * items is ranked with `strategy`, and Recall@20 / NDCG@10 / MAP@10 / coverage@20 are
 * averaged. A user whose history maps to nothing gets the cold-start (popularity) list.
 */
export function evaluateHistories(
  model: RecommenderModel,
  users: readonly HeldOutUser[],
  strategy: Strategy = 'HYBRID',
): RankingMetrics {
  const acc = new MetricAccumulator();
  for (const u of users) {
    if (u.relevant.size === 0) continue;
    const recs = model.recommendForUser(null, u.history, { limit: 20, strategy });
    acc.add(Int32Array.from(recs, (r) => r.item), u.relevant);
  }
  return acc.result(model.itemCount);
}
