/**
 * Offline evaluation with a temporal hold-out: for every user the latest
 * `testFraction` of their interactions (by occurredAt) is the test set, the rest
 * trains. Ranking is over the full catalogue minus the user's training items;
 * relevant = test items not already in the user's training history. Metrics
 * for the model's default strategy and the baselines come from the same run.
 */
import { createRng } from '../shared/random.js';
import { canonicalInteractions } from './canonical.js';
import { TopKBuffer } from '../shared/top-k.js';
import { averagePrecisionAtK, catalogueCoverage, ndcgAtK, recallAtK, topK } from './metrics.js';
import { easeScores, type EaseLists } from './ease.js';
import type { RecommenderModel } from './model.js';
import { blendScores, standardStats, type ScoreComponents, type UserHistory } from './scorers/index.js';
import { timeOf, signalWeight, type CsrMatrix } from './signals.js';
import { itemMatrix } from './tf-ops.js';
import type { ResolvedRecommenderHyperparameters } from './hyperparameters.js';
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
export function temporalSplit(interactions: readonly InteractionInput[], testFraction: number): TemporalSplit {
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
export function relevantItems(split: TemporalSplit, signals: SignalConfig, mode: RelevanceMode = 'ANY'): Map<number, Set<number>> {
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

/** The hold-out of one training run: its temporal split, the relevant test items and the users scored. */
export interface HoldOut {
  split: TemporalSplit;
  relevant: Map<number, Set<number>>;
  /** At most maxEvalUsers users with relevant items, sampled with the seed (ascending). */
  users: number[];
}

/**
 * The evaluation protocol of trainRecommender (temporal hold-out of the latest `testFraction`
 * of each user's interactions, at most `maxEvalUsers` users): the one place it is derived, for
 * the run's own metrics and for scoring earlier versions on the same split.
 */
export function recommenderHoldOut(
  data: { interactions: readonly InteractionInput[]; userCount: number },
  hp: Pick<ResolvedRecommenderHyperparameters, 'testFraction' | 'maxEvalUsers' | 'seed'>,
  signals: SignalConfig,
): HoldOut {
  // In content order, as trainRecommender trains on them: the same split whatever the input order.
  const split = temporalSplit(canonicalInteractions(data.interactions), hp.testFraction);
  const relevant = relevantItems(split, signals);
  const users = sampleUsers(
    [...relevant.keys()].filter((u) => u < data.userCount),
    hp.maxEvalUsers,
    hp.seed,
  );
  return { split, relevant, users };
}

/** How the hold-out is made, in words (stored with a version's metrics). */
export function holdOutProtocol(hp: Pick<ResolvedRecommenderHyperparameters, 'testFraction' | 'maxEvalUsers'>): string {
  return `temporal hold-out: latest ${Math.round(hp.testFraction * 100)}% of each user's interactions, full-catalogue ranking excluding training items, at most ${hp.maxEvalUsers} users`;
}

/**
 * Scores another model (an earlier stored version, with its own index space) on this run's
 * hold-out with `evaluateHistories`: each sampled user is folded in from the training part of
 * their history (items matched by id; items the other model does not know are left out), and
 * relevant items it does not know count as misses. Null when the model has no id mapping.
 */
export function evaluateOnHoldOut(other: RecommenderModel, hold: HoldOut, itemIds: readonly string[], strategy: Strategy = 'HYBRID'): RankingMetrics | null {
  const otherItems = other.ids?.items;
  if (!otherItems) return null;
  const toOther = new Map(otherItems.map((id, index) => [id, index]));
  const wanted = new Set(hold.users);
  const histories = new Map<number, HistoryEntry[]>();
  for (const it of hold.split.train) {
    if (!wanted.has(it.user)) continue;
    const item = toOther.get(itemIds[it.item]);
    if (item === undefined) continue;
    let list = histories.get(it.user);
    if (!list) histories.set(it.user, (list = []));
    list.push({ item, type: it.type, value: it.value, occurredAt: it.occurredAt });
  }
  const heldOut: HeldOutUser[] = hold.users.map((user) => ({
    history: histories.get(user) ?? [],
    // Negative placeholders: relevant, and never recommended.
    relevant: new Set([...hold.relevant.get(user)!].map((item) => toOther.get(itemIds[item]) ?? -1 - item)),
  }));
  return evaluateHistories(other, heldOut, strategy);
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
export function forEachUserComponents(model: RecommenderModel, users: readonly number[], visit: (u: ComponentBatchUser) => void, batchSize = 256): void {
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
            ease: model.easeScores(history),
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
  ease: RankingMetrics;
}

/** EASE alone leaves most of the catalogue at 0; popularity (scaled below any EASE weight) orders those. */
function withPopularityTies(scores: Float32Array, popularityZ: Float32Array, out: Float32Array): Float32Array {
  let max = 0;
  for (let i = 0; i < scores.length; i++) max = Math.max(max, Math.abs(scores[i]));
  const eps = (max || 1) * 1e-6;
  for (let i = 0; i < scores.length; i++) out[i] = scores[i] + eps * popularityZ[i];
  return out;
}

/**
 * Evaluates a model trained on `split.train` against `relevant` (from the
 * same split). All strategies and baselines are ranked for the same users.
 */
export function evaluateModel(
  model: RecommenderModel,
  relevant: ReadonlyMap<number, ReadonlySet<number>>,
  opts: { maxUsers?: number; seed?: number; blend?: BlendWeights; users?: readonly number[] } = {},
): ModelEvaluation {
  // `users`: a hold-out's own sample (see recommenderHoldOut).
  const users =
    opts.users ??
    sampleUsers(
      [...relevant.keys()].filter((u) => u < model.userCount),
      opts.maxUsers ?? 3000,
      opts.seed,
    );
  const n = model.itemCount;
  const acc = {
    hybrid: new MetricAccumulator(),
    collaborative: new MetricAccumulator(),
    content: new MetricAccumulator(),
    popularity: new MetricAccumulator(),
    itemKnn: new MetricAccumulator(),
    ease: new MetricAccumulator(),
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
      acc.ease.add(pop, rel);
      return;
    }
    acc.hybrid.add(rank(blendScores(components, model.popularityZ, blend, out, scratch)), rel);
    acc.collaborative.add(rank(components.collaborative ?? model.popularityZ), rel);
    acc.content.add(rank(components.content ?? model.popularityZ), rel);
    acc.itemKnn.add(rank(components.knn ?? popularity), rel);
    acc.popularity.add(rank(popularity), rel);
    acc.ease.add(rank(withPopularityTies(components.ease ?? new Float32Array(n), model.popularityZ, scratch)), rel);
  });
  return {
    hybrid: acc.hybrid.result(n),
    collaborative: acc.collaborative.result(n),
    content: acc.content.result(n),
    popularity: acc.popularity.result(n),
    itemKnn: acc.itemKnn.result(n),
    ease: acc.ease.result(n),
  };
}

/** NDCG@10 of collaborative scores only (cheap: used to compare ALS candidates). */
export function collaborativeNdcg(model: RecommenderModel, relevant: ReadonlyMap<number, ReadonlySet<number>>, opts: { maxUsers?: number; seed?: number } = {}): number {
  const users = sampleUsers(
    [...relevant.keys()].filter((u) => u < model.userCount),
    opts.maxUsers ?? 1000,
    opts.seed,
  );
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
 * NDCG@10 of EASE lists alone for users' histories in `userItem` (cheap: used to
 * compare λ candidates before a model exists). Ties as in `evaluateModel`.
 */
export function easeNdcg(
  lists: EaseLists,
  userItem: CsrMatrix,
  popularityZ: Float32Array,
  relevant: ReadonlyMap<number, ReadonlySet<number>>,
  opts: { maxUsers?: number; seed?: number } = {},
): number {
  const users = sampleUsers(
    [...relevant.keys()].filter((u) => u < userItem.rows),
    opts.maxUsers ?? 1000,
    opts.seed,
  );
  const n = userItem.cols;
  const scores = new Float32Array(n);
  const ranked = new Float32Array(n);
  let total = 0;
  let counted = 0;
  for (const u of users) {
    const rel = relevant.get(u);
    const lo = userItem.indptr[u];
    const hi = userItem.indptr[u + 1];
    if (rel === undefined || hi === lo) continue;
    scores.fill(0);
    easeScores(lists, userItem.indices.subarray(lo, hi), userItem.values.subarray(lo, hi), scores);
    const seen = new Set<number>(userItem.indices.subarray(lo, hi));
    total += ndcgAtK(topK(withPopularityTies(scores, popularityZ, ranked), 10, (i) => seen.has(i)).items, rel, 10);
    counted++;
  }
  return counted === 0 ? 0 : total / counted;
}

/** Per component, a user's top this-many unseen items become their candidates in blend tuning. */
const BLEND_CANDIDATES = 50;
const BLEND_KEYS = ['collaborative', 'knn', 'content', 'popularity', 'ease'] as const;

/**
 * Picks blend weights by NDCG@10 on a validation split. Components are
 * standardised once per user over the whole catalogue (as in serving); each
 * user then keeps only the union of every component's top-100 unseen items:
 * a blend with non-negative weights practically never ranks an item into its
 * top 10 that no component ranks in its top 100, and scoring ~400 candidates
 * instead of the catalogue makes an evaluation ~20× cheaper, which pays for
 * more validation users (less noise) and several starting points.
 * Coordinate ascent runs from every start (its result depends on the path:
 * a dominant component at the start hides the value of the others); the best
 * end point wins, subject to `minGain`.
 */
export function tuneBlend(
  model: RecommenderModel,
  relevant: ReadonlyMap<number, ReadonlySet<number>>,
  start: BlendWeights | readonly BlendWeights[],
  opts: {
    maxUsers?: number;
    seed?: number;
    values?: Partial<Record<keyof BlendWeights, number[]>>;
    rounds?: number;
    /** Relative validation gain a component must bring over the best blend without it to keep a non-zero weight. */
    minGain?: Partial<Record<keyof BlendWeights, number>>;
  } = {},
): { best: BlendWeights; ndcg: number; evaluated: number } {
  const users = sampleUsers(
    [...relevant.keys()].filter((u) => u < model.userCount),
    opts.maxUsers ?? 1000,
    opts.seed,
  );
  const n = model.itemCount;
  const C = BLEND_KEYS.length;
  // Per user: candidate items (ascending, so ties break by item index as in topK), their
  // standardised component scores (component-major) and relevance flags.
  interface Cached {
    len: number;
    z: Float32Array;
    rel: Uint8Array;
    idcg: number;
  }
  const cache: Cached[] = [];
  const inCand = new Uint8Array(n);
  const discount = Array.from({ length: 10 }, (_, r) => 1 / Math.log2(r + 2));
  const idcg = (r: number): number => discount.slice(0, Math.min(10, r)).reduce((a, b) => a + b, 0);
  forEachUserComponents(model, users, ({ user, history, components }) => {
    const rel = relevant.get(user);
    if (rel === undefined || history.items.length === 0) return;
    const seen = new Set<number>(history.items);
    // z-scores only at the candidates: the same mean/sd as standardise, and
    // each component's top items are its top z-scores (sd > 0).
    const raw: (Float32Array | null)[] = [components.collaborative, components.knn, components.content, model.popularityZ, components.ease];
    const POPULARITY = 3; // popularityZ is standardised already, as blendScores uses it
    const stats = raw.map((r, c) => (r === null || c === POPULARITY ? null : standardStats(r)));
    const cand: number[] = [];
    for (const r of raw) {
      if (r === null) continue;
      for (const i of topK(r, BLEND_CANDIDATES, (i) => seen.has(i)).items) {
        if (inCand[i] === 0) {
          inCand[i] = 1;
          cand.push(i);
        }
      }
    }
    cand.sort((a, b) => a - b);
    const len = cand.length;
    const z = new Float32Array(C * len);
    const flags = new Uint8Array(len);
    cand.forEach((item, p) => {
      inCand[item] = 0;
      flags[p] = rel.has(item) ? 1 : 0;
    });
    for (let c = 0; c < C; c++) {
      const r = raw[c];
      if (r === null) continue;
      const st = stats[c] ?? { mean: 0, sd: 1 };
      for (let p = 0; p < len; p++) z[c * len + p] = (r[cand[p]] - st.mean) / st.sd;
    }
    cache.push({ len, z, rel: flags, idcg: idcg(rel.size) });
  });
  let maxLen = 0;
  for (const c of cache) maxLen = Math.max(maxLen, c.len);
  const out = new Float32Array(maxLen);
  // Summation order of blendScores (popularity first), so float rounding and ties match serving.
  const order = [3, 0, 1, 2, 4];
  const top = new TopKBuffer(10);
  const memo = new Map<string, number>();
  // The evaluation loop of the search: weighted sum over candidates, then an
  // allocation-free top 10 (ties keep the lower item index first, as topK does).
  const score = (w: BlendWeights): number => {
    const key = BLEND_KEYS.map((k) => w[k]).join('|');
    const hit = memo.get(key);
    if (hit !== undefined) return hit;
    const ws = BLEND_KEYS.map((k) => w[k]);
    let total = 0;
    for (const c of cache) {
      const len = c.len;
      out.fill(0, 0, len);
      for (const k of order) {
        const wk = ws[k];
        if (wk === 0) continue;
        const base = k * len;
        for (let p = 0; p < len; p++) out[p] += wk * c.z[base + p];
      }
      top.reset();
      for (let p = 0; p < len; p++) top.offer(out[p], p);
      let dcg = 0;
      for (let r = 0; r < top.size; r++) if (c.rel[top.ids[r]] === 1) dcg += discount[r];
      total += dcg / c.idcg;
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
    // A sparse component's z-scores reach 10–90 on its few supported items
    // (ALS's top items sit near 4), so useful EASE weights start small.
    ease: opts.values?.ease ?? [0, 0.05, 0.1, 0.25, 0.5, 1, 2],
  };
  const ascend = (starts: readonly BlendWeights[], vals: Record<keyof BlendWeights, number[]>): { best: BlendWeights; score: number } => {
    let best = { ...starts[0] };
    let bestScore = -Infinity;
    for (const s of starts) {
      let cur = { ...s };
      let curScore = score(cur);
      // Coordinate ascent: a handful of evaluations instead of a full grid.
      for (let round = 0; round < (opts.rounds ?? 2); round++) {
        let improved = false;
        for (const key of ['popularity', 'knn', 'content', 'collaborative', 'ease'] as const) {
          for (const v of vals[key]) {
            const cand = { ...cur, [key]: v };
            if (BLEND_KEYS.every((k) => cand[k] === 0)) continue;
            const sc = score(cand);
            if (sc > curScore + 1e-9) {
              cur = cand;
              curScore = sc;
              improved = true;
            }
          }
        }
        if (!improved) break;
      }
      if (curScore > bestScore + 1e-9) {
        best = cur;
        bestScore = curScore;
      }
    }
    return { best, score: bestScore };
  };
  const starts = Array.isArray(start) ? (start as readonly BlendWeights[]) : [start as BlendWeights];
  let result = ascend(starts, values);
  // A costly component keeps a non-zero weight only if it beats the best blend
  // without it by the given relative margin: a smaller validation gain is within
  // the noise of picking the best of many candidates, and not worth its cost.
  for (const [key, margin] of Object.entries(opts.minGain ?? {}) as [keyof BlendWeights, number][]) {
    if (result.best[key] === 0) continue;
    const without = ascend(
      starts.map((s) => ({ ...s, [key]: 0 })),
      { ...values, [key]: [0] },
    );
    if (without.score * (1 + margin) >= result.score) result = without;
  }
  return { best: result.best, ndcg: result.score, evaluated: memo.size };
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
export function evaluateHistories(model: RecommenderModel, users: readonly HeldOutUser[], strategy: Strategy = 'HYBRID'): RankingMetrics {
  const acc = new MetricAccumulator();
  for (const u of users) {
    if (u.relevant.size === 0) continue;
    const recs = model.recommendForUser(null, u.history, { limit: 20, strategy });
    acc.add(
      Int32Array.from(recs, (r) => r.item),
      u.relevant,
    );
  }
  return acc.result(model.itemCount);
}

/** A next-item case: a customer's last item of the training period and the items they engaged with next. */
export interface NextItemCase {
  user: number;
  anchor: number;
  /** Test items not in the customer's training history. */
  next: ReadonlySet<number>;
}

/**
 * The similar-products protocol: for every customer with relevant test items, the item of their
 * latest training interaction (ties: the later event) is the anchor a "similar products" shelf
 * is shown on, and the items they engaged with next are what it should hold.
 */
export function nextItemCases(split: TemporalSplit, relevant: ReadonlyMap<number, ReadonlySet<number>>): NextItemCase[] {
  const last = new Map<number, { item: number; t: number }>();
  for (const it of split.train) {
    const t = timeOf(it.occurredAt);
    const seen = last.get(it.user);
    if (seen === undefined || t >= seen.t) last.set(it.user, { item: it.item, t });
  }
  const out: NextItemCase[] = [];
  for (const [user, next] of [...relevant].sort((a, b) => a[0] - b[0])) {
    const anchor = last.get(user);
    if (anchor !== undefined) out.push({ user, anchor: anchor.item, next });
  }
  return out;
}

/** Mean over cases of |top-k of the anchor ∩ next| / min(k, |next|) (Recall@k of the shelf). */
export function nextItemRecall(cases: readonly NextItemCase[], listOf: (anchor: number) => ArrayLike<number>, k = 20): number {
  if (cases.length === 0) return 0;
  const lists = new Map<number, ArrayLike<number>>();
  let sum = 0;
  for (const c of cases) {
    let list = lists.get(c.anchor);
    if (list === undefined) lists.set(c.anchor, (list = listOf(c.anchor)));
    let hits = 0;
    for (let r = 0; r < Math.min(k, list.length); r++) if (c.next.has(list[r])) hits++;
    sum += hits / Math.min(k, c.next.size);
  }
  return sum / cases.length;
}

/** Share of the top-k neighbours of the anchors that carry their anchor's label (category, planted cluster). */
export function labelAgreement(anchors: Iterable<number>, listOf: (anchor: number) => ArrayLike<number>, labelOf: (item: number) => unknown, k = 10): number {
  let agree = 0;
  let total = 0;
  for (const a of anchors) {
    const list = listOf(a);
    for (let r = 0; r < Math.min(k, list.length); r++) {
      total++;
      if (labelOf(list[r]) === labelOf(a)) agree++;
    }
  }
  return total > 0 ? agree / total : 0;
}
