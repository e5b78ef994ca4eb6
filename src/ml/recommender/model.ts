/**
 * In-memory recommender model: everything needed to serve is precomputed at
 * training time (factors, neighbour lists, content matrix, popularity), so a
 * request is a few dense dot products over the catalogue plus a top-K scan.
 */
import type { EaseLists } from './ease.js';
import { behaviourNeighbours, shrink, type SimilarConfig, type SimilarLists } from './item-similarity.js';
import type { NeighbourLists } from './knn.js';
import { dot } from './linalg.js';
import { topK } from './metrics.js';
import { TopKBuffer } from '../shared/top-k.js';
import { blendScores, CollaborativeScorer, ContentScorer, EaseScorer, KnnScorer, PopularityScorer, type ScoreComponents, type UserHistory } from './scorers/index.js';
import { findInRow, KIND_STRENGTH } from './history-kinds.js';
import { signalWeight, upgradeLegacySignals, type LegacySignalConfig } from './signals.js';
import type { SimilarityMetric, SparseVector } from './similarity.js';
import type {
  AlsConfig,
  BlendWeights,
  EaseConfig,
  EvaluationReport,
  FeatureReport,
  HistoryEntry,
  InteractionKind,
  Recommendation,
  RecommendOptions,
  SignalConfig,
  SimilarItem,
  Strategy,
  UserScore,
} from './types.js';

// Moved to scorers/ (the blender and the per-user history); re-exported for existing imports.
export { blendScores, standardise, standardStats, type ScoreComponents, type UserHistory } from './scorers/index.js';

export const MODEL_FORMAT = 'marketing-ai.recommender';
/**
 * 2: EASE neighbour lists and `blend.ease`. 3: rating signals relative to a rating scale
 * (`signals.ratings`), per-user serving candidates and the strongest kind per history entry.
 * 4: behaviour neighbour lists per similarity metric. Older artifacts still load: version 1
 * without EASE (blend.ease = 0); versions 1 and 2 with their absolute rating rule (ratings ≤
 * ratingNegativeMax negative, ratingScale per star) converted exactly, no candidates (every
 * answer is scored) and no kinds (reasons read fresh events only); versions 1–3 without
 * behaviour lists (similarItems answers from the learned factors, as it did).
 */
export const MODEL_VERSION = 4;
const READABLE_VERSIONS: readonly number[] = [1, 2, 3, 4];

/** What the EASE lists were fitted with (null: none, e.g. a version-1 model). */
export interface EaseHeader {
  config: EaseConfig;
  /** Items actually modelled (≤ config.maxItems). */
  items: number;
  /** Absolute λ used. */
  lambda: number;
}

/** How the behaviour neighbour lists were built (null: none, a version-1 or -2 model). */
export interface SimilarHeader {
  config: SimilarConfig;
  /** Metrics with stored lists, in storage order. */
  metrics: SimilarityMetric[];
}

export interface ModelHeader {
  format: typeof MODEL_FORMAT;
  version: number;
  userCount: number;
  itemCount: number;
  factors: number;
  knnK: number;
  contentDims: number;
  ids: { users: string[]; items: string[] } | null;
  featureReport: FeatureReport;
  categories: string[];
  signals: SignalConfig;
  als: AlsConfig;
  alpha0: number;
  blend: BlendWeights;
  ease: EaseHeader | null;
  similar: SimilarHeader | null;
  trendingHalfLifeDays: number;
  referenceMs: number;
  trainedAt: string;
  backend: string;
  metrics: EvaluationReport | null;
  /** Serving candidates stored per trained user (0: none; see withServingCandidates). A header copied with another blend or history must set 0: the lists follow this one's. */
  candidates: number;
}

export interface ModelArrays {
  userFactors: Float32Array;
  itemFactors: Float32Array;
  /** VᵀV (unscaled), k×k, for folding in users. */
  itemGram: Float64Array;
  knnIndices: Int32Array;
  knnSims: Float32Array;
  historyIndptr: Int32Array;
  historyItems: Int32Array;
  historyWeights: Float32Array;
  /** Per history entry, the index in KIND_STRENGTH of the strongest interaction behind it (-1 none; empty before version 3). */
  historyKinds: Int32Array;
  /** Distinct users with positive signal per item. */
  popularity: Float32Array;
  /** Time-decayed popularity (recent engagement counts more). */
  trending: Float32Array;
  contentIndptr: Int32Array;
  contentIndices: Int32Array;
  contentValues: Float32Array;
  itemCategory: Int32Array;
  /** EASE weights as CSR rows over items (itemCount + 1 offsets; empty rows outside the modelled items). */
  easeIndptr: Int32Array;
  easeIndices: Int32Array;
  easeWeights: Float32Array;
  /** Per trained user, `header.candidates` slots: the HYBRID ranking's top unseen items, best first, -1 after the last. */
  candidateItems: Int32Array;
  candidateScores: Float32Array;
  /** Behaviour neighbour lists (item-similarity.ts SimilarLists): CSR over (metric, item). */
  similarIndptr: Int32Array;
  similarNeighbours: Int32Array;
  similarScores: Float32Array;
  similarShared: Int32Array;
}

const ARRAY_ORDER: readonly (keyof ModelArrays)[] = [
  'userFactors',
  'itemFactors',
  'itemGram',
  'knnIndices',
  'knnSims',
  'historyIndptr',
  'historyItems',
  'historyWeights',
  'historyKinds',
  'popularity',
  'trending',
  'contentIndptr',
  'contentIndices',
  'contentValues',
  'itemCategory',
  'easeIndptr',
  'easeIndices',
  'easeWeights',
  'candidateItems',
  'candidateScores',
  'similarIndptr',
  'similarNeighbours',
  'similarScores',
  'similarShared',
];

/**
 * The hybrid model: one scorer per component (collaborative ALS factors, item-kNN, EASE, content,
 * popularity; each in scorers/, usable alone) over the stored arrays, blended with the header's
 * weights, plus reasons, similar items, audiences and the artifact format.
 */
export class RecommenderModel {
  readonly header: ModelHeader;
  readonly arrays: ModelArrays;
  readonly collaborative: CollaborativeScorer;
  readonly content: ContentScorer;
  readonly knn: KnnScorer;
  readonly ease: EaseScorer;
  readonly popularity: PopularityScorer;
  private readonly categoryOf: string[];
  private similarView: SimilarLists | undefined;
  private engagedItems: Int32Array | undefined;

  constructor(header: ModelHeader, arrays: ModelArrays) {
    this.header = header;
    this.arrays = arrays;
    const { itemCount, userCount } = header;
    // Views on the stored arrays: nothing is copied.
    this.collaborative = new CollaborativeScorer({
      factors: header.factors,
      userCount,
      itemCount,
      userFactors: arrays.userFactors,
      itemFactors: arrays.itemFactors,
      itemGram: arrays.itemGram,
      alpha0: header.alpha0,
      als: header.als,
    });
    this.content = new ContentScorer({ indptr: arrays.contentIndptr, indices: arrays.contentIndices, values: arrays.contentValues, dimensions: header.contentDims });
    this.knn = new KnnScorer({ k: header.knnK, indices: arrays.knnIndices, sims: arrays.knnSims } satisfies NeighbourLists, itemCount);
    this.ease = new EaseScorer({ indptr: arrays.easeIndptr, indices: arrays.easeIndices, weights: arrays.easeWeights }, itemCount);
    this.popularity = new PopularityScorer(arrays.trending, arrays.itemCategory);
    this.categoryOf = Array.from(arrays.itemCategory, (c) => (c >= 0 ? header.categories[c] : 'missing'));
  }

  /** z-scored log trending popularity (prior shared by all users). */
  get popularityZ(): Float32Array {
    return this.popularity.prior;
  }

  get userCount(): number {
    return this.header.userCount;
  }

  get itemCount(): number {
    return this.header.itemCount;
  }

  get featureReport(): FeatureReport {
    return this.header.featureReport;
  }

  get ids(): { users: string[]; items: string[] } | null {
    return this.header.ids;
  }

  /** Bytes held in typed arrays (the model's payload, excluding JS object overhead). */
  get arrayBytes(): number {
    let s = this.popularityZ.byteLength + this.collaborative.itemNorms.byteLength + this.collaborative.userNorms.byteLength;
    for (const key of ARRAY_ORDER) s += this.arrays[key].byteLength;
    return s;
  }

  get easeLists(): EaseLists {
    return this.ease.lists;
  }

  /** The strongest kind of interaction a trained user had with an item (null: none, or not recorded by this model). */
  strongestKind(user: number | null, item: number): InteractionKind | null {
    const a = this.arrays;
    if (user === null || !(user >= 0 && user < this.userCount) || a.historyKinds.length === 0) return null;
    const p = findInRow(a.historyItems, a.historyIndptr[user], a.historyIndptr[user + 1], item);
    return p >= 0 && a.historyKinds[p] >= 0 ? KIND_STRENGTH[a.historyKinds[p]] : null;
  }

  /** Whether a trained user has any stored interaction (false for unknown users). */
  hasHistory(user: number | null): boolean {
    if (user === null || !(user >= 0 && user < this.userCount)) return false;
    return this.arrays.historyIndptr[user + 1] > this.arrays.historyIndptr[user];
  }

  /** Stored history of a trained user merged with extra (post-training) events. */
  historyOf(user: number | null, extra?: readonly HistoryEntry[]): UserHistory {
    const merged = new Map<number, number>();
    if (user !== null && user >= 0 && user < this.userCount) {
      const a = this.arrays;
      for (let q = a.historyIndptr[user]; q < a.historyIndptr[user + 1]; q++) merged.set(a.historyItems[q], a.historyWeights[q]);
    }
    for (const h of extra ?? []) {
      if (!(h.item >= 0 && h.item < this.itemCount)) continue;
      const w = signalWeight(this.header.signals, h.type ?? 'VIEW', h.value);
      merged.set(h.item, (merged.get(h.item) ?? 0) + w);
    }
    const items = new Int32Array(merged.size);
    const weights = new Float32Array(merged.size);
    let p = 0;
    for (const [item, w] of merged) {
      items[p] = item;
      weights[p++] = w;
    }
    return { items, weights };
  }

  // One-line delegations, kept for evaluation and existing callers.
  foldIn(history: UserHistory): Float32Array {
    return this.collaborative.foldIn(history);
  }

  collaborativeScores(factor: Float32Array, out?: Float32Array): Float32Array {
    return this.collaborative.scores(factor, out);
  }

  contentProfile(history: UserHistory): Float32Array {
    return this.content.profile(history);
  }

  contentScores(profile: Float32Array, out?: Float32Array): Float32Array {
    return this.content.scores(profile, out);
  }

  contentRow(item: number): SparseVector {
    return this.content.row(item);
  }

  knnScores(history: UserHistory, out?: Float32Array): Float32Array {
    return this.knn.scores(history, out);
  }

  easeScores(history: UserHistory, out?: Float32Array): Float32Array {
    return this.ease.scores(history, out);
  }

  /** Full-catalogue scores for one strategy (higher is better). */
  scoreAll(user: number | null, history: UserHistory, strategy: Strategy, hasExtra = false): Float32Array {
    const n = this.itemCount;
    if (history.items.length === 0 || strategy === 'POPULAR') return this.popularity.scores(history);
    if (strategy === 'COLLABORATIVE') {
      const f = this.collaborative.userFactor(user, history, hasExtra);
      return f === null ? Float32Array.from(this.popularityZ) : this.collaborative.scores(f);
    }
    if (strategy === 'CONTENT') return this.content.scores(this.content.profile(history));
    const w = this.header.blend;
    const f = w.collaborative !== 0 ? this.collaborative.userFactor(user, history, hasExtra) : null;
    const comps: ScoreComponents = {
      collaborative: f === null ? null : this.collaborative.scores(f),
      knn: w.knn !== 0 ? this.knn.scores(history) : null,
      content: w.content !== 0 ? this.content.scores(this.content.profile(history)) : null,
      ease: w.ease !== 0 ? this.ease.scores(history) : null,
    };
    return blendScores(comps, this.popularityZ, w, new Float32Array(n), new Float32Array(n));
  }

  recommendForUser(user: number | null, history: readonly HistoryEntry[] | undefined, opts: RecommendOptions): Recommendation[] {
    if (user !== null && !(Number.isInteger(user) && user >= 0 && user < this.userCount)) {
      throw new RangeError(`unknown user index ${user}`);
    }
    const limit = Math.max(0, Math.floor(opts.limit));
    const served = this.fromCandidates(user, history, opts, limit);
    if (served) return served;
    const { hist, strategy, top } = this.ranked(user, history, opts, limit);
    const out: Recommendation[] = [];
    const share = hist.items.length > 0 ? this.popularity.categoryShare(hist) : null;
    const anchors = this.anchorItems(hist);
    for (let r = 0; r < top.items.length; r++) {
      const item = top.items[r];
      out.push({ item, score: top.scores[r], reason: this.reasonFor(item, strategy, hist.items.length === 0, anchors, share) });
    }
    return out;
  }

  /** The top `limit` items for the user by scoring the whole catalogue (recommendForUser without reasons). */
  private ranked(user: number | null, history: readonly HistoryEntry[] | undefined, opts: RecommendOptions, limit: number) {
    const hist = this.historyOf(user, history);
    const hasExtra = (history?.length ?? 0) > 0;
    const strategy: Strategy = hist.items.length === 0 ? 'POPULAR' : opts.strategy;
    const scores = this.scoreAll(user, hist, strategy, hasExtra);
    const seen = new Set<number>();
    if (!opts.includeSeen) for (const i of hist.items) seen.add(i);
    const { exclude, filter } = opts;
    const top = topK(scores, limit, (i) => seen.has(i) || (exclude?.has(i) ?? false) || (filter !== undefined && !filter(i)));
    return { hist, strategy, top };
  }

  /**
   * The answer read from the user's stored candidates, when it is exactly what scoring would give:
   * a trained user with no events beyond the model, the HYBRID strategy, seen items left out.
   * Filters and exclusions only remove items, so the first `limit` candidates that pass them are
   * the filtered ranking's top — unless the list runs out first while full (items beyond it might
   * pass): then null, and the caller scores the whole catalogue.
   */
  private fromCandidates(user: number | null, history: readonly HistoryEntry[] | undefined, opts: RecommendOptions, limit: number): Recommendation[] | null {
    const slots = this.header.candidates;
    if (slots === 0 || user === null || (history?.length ?? 0) > 0 || opts.strategy !== 'HYBRID' || opts.includeSeen || !this.hasHistory(user)) return null;
    const { candidateItems, candidateScores } = this.arrays;
    const picked: number[] = [];
    let complete = false;
    for (let p = user * slots; p < (user + 1) * slots && picked.length < limit; p++) {
      const item = candidateItems[p];
      if (item < 0) {
        complete = true;
        break;
      }
      if (opts.exclude?.has(item) || (opts.filter !== undefined && !opts.filter(item))) continue;
      picked.push(p);
    }
    // Every slot used and still short: items beyond the list might pass the filters.
    if (picked.length < limit && !complete) return null;
    const hist = this.historyOf(user);
    const anchors = this.anchorItems(hist);
    const share = anchors.length === 0 ? this.popularity.categoryShare(hist) : null;
    return picked.map((p) => ({ item: candidateItems[p], score: candidateScores[p], reason: this.reasonFor(candidateItems[p], 'HYBRID', false, anchors, share) }));
  }

  /**
   * This model with each trained user's top `count` unseen items under HYBRID stored (the
   * ranking `recommendForUser` computes; Gorse's offline recommendation cache): most answers are
   * then a lookup instead of a pass over the catalogue. Costs `count` × 8 bytes per user.
   */
  withServingCandidates(count: number, onProgress?: (done: number, total: number) => void): RecommenderModel {
    const slots = Math.max(0, Math.floor(count));
    const scoring = new RecommenderModel({ ...this.header, candidates: 0 }, this.arrays);
    const items = new Int32Array(this.userCount * slots).fill(-1);
    const scores = new Float32Array(this.userCount * slots);
    for (let u = 0; u < this.userCount && slots > 0; u++) {
      if (this.hasHistory(u)) {
        // The ranking recommendForUser serves, without wording reasons nobody reads here.
        const { top } = scoring.ranked(u, undefined, { limit: slots, strategy: 'HYBRID' }, slots);
        items.set(top.items, u * slots);
        scores.set(top.scores, u * slots);
      }
      if (onProgress && (u % 500 === 499 || u === this.userCount - 1)) onProgress(u + 1, this.userCount);
    }
    return new RecommenderModel({ ...this.header, candidates: slots }, { ...this.arrays, candidateItems: items, candidateScores: scores });
  }

  /** Up to 50 strongest positive history items, used to explain recommendations. */
  private anchorItems(h: UserHistory): number[] {
    const idx: number[] = [];
    for (let i = 0; i < h.items.length; i++) if (h.weights[i] > 0) idx.push(i);
    idx.sort((a, b) => h.weights[b] - h.weights[a] || h.items[a] - h.items[b]);
    return idx.slice(0, 50).map((i) => h.items[i]);
  }

  private reasonFor(item: number, strategy: Strategy, coldUser: boolean, anchors: number[], share: Map<number, number> | null): Recommendation['reason'] {
    if (coldUser) return { kind: 'NEW_USER' };
    const category = this.categoryOf[item];
    if (strategy === 'POPULAR' || anchors.length === 0) {
      const s = share?.get(this.arrays.itemCategory[item]) ?? 0;
      return s > 0 ? { kind: 'POPULAR_IN_CATEGORY', category } : { kind: 'POPULAR' };
    }
    // The anchor most like the item: on content for CONTENT or items without factors, else on factors.
    const useContent = strategy === 'CONTENT' || this.collaborative.itemNorms[item] === 0;
    let best = -1;
    let bestSim = -Infinity;
    for (const a of anchors) {
      const s = useContent ? this.content.similarity('COSINE', a, item) : this.collaborative.itemCosine(a, item);
      if (s > bestSim) {
        bestSim = s;
        best = a;
      }
    }
    return useContent ? { kind: 'SIMILAR_CONTENT', itemIndex: best, category } : { kind: 'BECAUSE_YOU_INTERACTED', itemIndex: best, category };
  }

  /**
   * Items most similar to `item` under the metric, best first, scores in [0, 1]: the stored
   * behaviour neighbours (item-similarity.ts) while they last; then, or for an item without a
   * behaviour list (fewer than `similar.config.minCustomers` customers), the cosine of the learned
   * factors among items customers engaged with (content features for an item without factors),
   * clipped at 0 and never above the last behaviour neighbour's score (so the list stays ordered),
   * nor, without any, above 1 / (1 + λ), the score of a perfect pair resting on one customer.
   * A version-1/2 model has no lists: the metric on the factors over all items, as it served then.
   */
  similarItems(item: number, limit: number, metric: SimilarityMetric = 'COSINE', opts?: { exclude?: Set<number>; filter?: (item: number) => boolean }): SimilarItem[] {
    if (!(Number.isInteger(item) && item >= 0 && item < this.itemCount)) throw new RangeError(`unknown item index ${item}`);
    const skip = (j: number) => j === item || (opts?.exclude?.has(j) ?? false) || (opts?.filter !== undefined && !opts.filter(j));
    const lists = this.similarLists;
    const out: SimilarItem[] = [];
    for (const nb of lists === null ? [] : (behaviourNeighbours(lists, item, metric) ?? [])) {
      if (out.length >= limit) return out;
      if (!skip(nb.item)) out.push({ item: nb.item, score: nb.score, basis: 'BEHAVIOUR', shared: { customers: nb.customers, level: nb.level } });
    }
    if (out.length >= limit) return out;
    const useFactors = this.collaborative.itemNorms[item] > 0;
    // Filler: the behaviour metrics do not carry over to factors (where they barely differ), so the
    // cosine fast path, among items customers engaged with (content-projected factors of products
    // nobody engaged with are no evidence of what customers do next).
    const listed = new Set(out.map((s) => s.item));
    let top: { items: Int32Array; scores: Float32Array };
    if (lists !== null && useFactors) {
      top = this.factorNeighboursAmongEngaged(item, limit - out.length, (j) => skip(j) || listed.has(j));
    } else {
      const fillMetric: SimilarityMetric = lists === null ? metric : 'COSINE';
      const scores = useFactors ? this.collaborative.itemSimilarities(item, fillMetric) : this.content.similarities(item, fillMetric);
      top = topK(scores, limit - out.length, (j) => skip(j) || listed.has(j));
    }
    // Below every behaviour neighbour; with none, at most what one shared customer could give
    // (s(1) = 1 / (1 + λ)), so a score still means evidence and a client's threshold still holds.
    const cap = out.length > 0 ? out[out.length - 1].score : lists === null ? 1 : shrink(1, this.header.similar!.config.shrinkage);
    const basis = useFactors ? 'FACTORS' : 'CONTENT';
    for (let r = 0; r < top.items.length; r++) out.push({ item: top.items[r], score: Math.min(cap, Math.max(0, top.scores[r])), basis });
    return out;
  }

  /** Top `k` items customers engaged with by the cosine of their factors to `item`'s (only those are scanned). */
  private factorNeighboursAmongEngaged(item: number, k: number, skip: (j: number) => boolean): { items: Int32Array; scores: Float32Array } {
    if (this.engagedItems === undefined) {
      const engaged: number[] = [];
      for (let j = 0; j < this.itemCount; j++) if (this.arrays.popularity[j] > 0 && this.collaborative.itemNorms[j] > 0) engaged.push(j);
      this.engagedItems = Int32Array.from(engaged);
    }
    const f = this.header.factors;
    const v = this.arrays.itemFactors;
    const norms = this.collaborative.itemNorms;
    const nq = norms[item];
    const top = new TopKBuffer(k);
    for (const j of this.engagedItems) {
      const s = dot(v, item * f, v, j * f, f) / (nq * norms[j]);
      if (top.admits(s) && !skip(j)) top.offer(s, j);
    }
    return { items: top.ids.slice(0, top.size), scores: Float32Array.from(top.values.subarray(0, top.size)) };
  }

  /** The behaviour neighbour lists (null for a version-1 or -2 model). */
  get similarLists(): SimilarLists | null {
    const h = this.header.similar;
    if (h === null) return null;
    this.similarView ??= {
      metrics: h.metrics,
      itemCount: this.itemCount,
      indptr: this.arrays.similarIndptr,
      items: this.arrays.similarNeighbours,
      scores: this.arrays.similarScores,
      shared: this.arrays.similarShared,
    };
    return this.similarView;
  }

  /**
   * Campaign audience: users ranked by predicted affinity to a set of items
   * (mean of x_u·y_i over the items, i.e. x_u·mean(y)). Users without history are skipped.
   */
  scoreUsersForItems(itemIndices: readonly number[], limit: number, eligibleUser?: (user: number) => boolean): UserScore[] {
    return this.collaborative.scoreUsersForItems(itemIndices, limit, eligibleUser);
  }

  /** scoreUsersForItems a slice of users at a time, awaiting `pause()` between slices. */
  scoreUsersForItemsInSlices(
    itemIndices: readonly number[],
    limit: number,
    eligibleUser: ((user: number) => boolean) | undefined,
    pause: () => Promise<void>,
    sliceSize?: number,
  ): Promise<UserScore[]> {
    return this.collaborative.scoreUsersForItemsInSlices(itemIndices, limit, eligibleUser, pause, sliceSize);
  }

  /** Users most similar to `user` on collaborative factors. */
  similarUsers(user: number, limit: number, metric: SimilarityMetric = 'COSINE'): UserScore[] {
    if (!(Number.isInteger(user) && user >= 0 && user < this.userCount)) throw new RangeError(`unknown user index ${user}`);
    return this.collaborative.similarUsers(user, limit, metric);
  }

  /**
   * Binary artifact: 'RECM' | u32 version | u32 header length | JSON header |
   * padding to 8 | typed-array payloads (each 8-byte aligned), described in the
   * header's `buffers` table.
   */
  serialize(): Uint8Array {
    const buffers: { name: keyof ModelArrays; dtype: 'f32' | 'f64' | 'i32'; offset: number; length: number }[] = [];
    let offset = 0;
    for (const name of ARRAY_ORDER) {
      const arr = this.arrays[name];
      const dtype = arr instanceof Float64Array ? 'f64' : arr instanceof Int32Array ? 'i32' : 'f32';
      buffers.push({ name, dtype, offset, length: arr.length });
      offset += Math.ceil(arr.byteLength / 8) * 8;
    }
    // A loaded version-1 model is written back in the current layout (its EASE arrays are empty).
    const headerBytes = new TextEncoder().encode(JSON.stringify({ ...this.header, version: MODEL_VERSION, buffers }));
    const start = Math.ceil((12 + headerBytes.length) / 8) * 8;
    const out = new Uint8Array(start + offset);
    const view = new DataView(out.buffer);
    out.set([0x52, 0x45, 0x43, 0x4d], 0); // 'RECM'
    view.setUint32(4, MODEL_VERSION, true);
    view.setUint32(8, headerBytes.length, true);
    out.set(headerBytes, 12);
    for (const b of buffers) {
      const arr = this.arrays[b.name];
      out.set(new Uint8Array(arr.buffer, arr.byteOffset, arr.byteLength), start + b.offset);
    }
    return out;
  }

  static deserialize(bytes: Uint8Array): RecommenderModel {
    if (bytes.length < 12 || bytes[0] !== 0x52 || bytes[1] !== 0x45 || bytes[2] !== 0x43 || bytes[3] !== 0x4d) {
      throw new Error('not a recommender model artifact (bad magic)');
    }
    const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
    const version = view.getUint32(4, true);
    if (!READABLE_VERSIONS.includes(version)) throw new Error(`unsupported recommender model version ${version}`);
    const headerLength = view.getUint32(8, true);
    const parsed = JSON.parse(new TextDecoder().decode(bytes.subarray(12, 12 + headerLength))) as Omit<ModelHeader, 'signals'> & {
      signals: SignalConfig | LegacySignalConfig;
      buffers: { name: keyof ModelArrays; dtype: 'f32' | 'f64' | 'i32'; offset: number; length: number }[];
    };
    const { buffers, signals: storedSignals, ...rest } = parsed;
    if (rest.format !== MODEL_FORMAT) throw new Error(`unexpected model format ${String(rest.format)}`);
    // Versions 1 and 2 stored an absolute rating rule: the same weights, restated on their 1–5 scale.
    const signals = version < 3 ? upgradeLegacySignals(storedSignals as LegacySignalConfig) : (storedSignals as SignalConfig);
    const header: ModelHeader = { ...rest, signals };
    const start = Math.ceil((12 + headerLength) / 8) * 8;
    const arrays: Partial<Record<keyof ModelArrays, Float32Array | Float64Array | Int32Array>> = {};
    for (const b of buffers) {
      // Copy into fresh (aligned) buffers; the input may be a Node Buffer slice at any offset.
      const width = b.dtype === 'f64' ? 8 : 4;
      // Uint8Array's slice copies; a Node Buffer's own slice() would share (and the typed array below would then start at the file's byte 0).
      const raw = Uint8Array.prototype.slice.call(bytes, start + b.offset, start + b.offset + b.length * width);
      arrays[b.name] = b.dtype === 'f64' ? new Float64Array(raw.buffer) : b.dtype === 'i32' ? new Int32Array(raw.buffer) : new Float32Array(raw.buffer);
    }
    if (version < 3) {
      // Served by scoring every request, as they were.
      arrays.historyKinds = new Int32Array(0);
      arrays.candidateItems = new Int32Array(0);
      arrays.candidateScores = new Float32Array(0);
      header.candidates = 0;
    }
    if (version < 4) {
      // No behaviour lists before version 4: similarItems answers from the factors, as it did.
      arrays.similarIndptr = new Int32Array(1);
      arrays.similarNeighbours = new Int32Array(0);
      arrays.similarScores = new Float32Array(0);
      arrays.similarShared = new Int32Array(0);
      header.similar = null;
    }
    if (version === 1) {
      // Stored version-1 models must keep serving after a roll-back: no EASE lists, weight 0.
      arrays.easeIndptr = new Int32Array(header.itemCount + 1);
      arrays.easeIndices = new Int32Array(0);
      arrays.easeWeights = new Float32Array(0);
      header.blend = { ...header.blend, ease: 0 };
      header.ease = null;
    }
    for (const name of ARRAY_ORDER) {
      if (arrays[name] === undefined) throw new Error(`model artifact (version ${version}) is missing buffer ${name}`);
    }
    return new RecommenderModel(header, arrays as unknown as ModelArrays);
  }
}
