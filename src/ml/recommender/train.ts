/**
 * Training entry point: signals → matrix → iALS + EASE + item-kNN + content +
 * popularity → hybrid model. Hyperparameters (ALS and EASE regularisation,
 * blend weights) are chosen on an internal temporal validation split carved
 * from the training data only, so the reported test metrics are not tuned on test.
 */
import type { BackendPreference } from '../shared/backend.js';
import { trainAls } from './als.js';
import { easeProblem, emptyEaseLists, fitEase, type EaseFit } from './ease.js';
import { collaborativeNdcg, easeNdcg, evaluateModel, recommenderHoldOut, relevantItems, temporalSplit, tuneBlend } from './evaluation.js';
import { resolveRecommenderHyperparameters, type RecommenderHyperparameters } from './hyperparameters.js';
import { canonicalInteractions } from './canonical.js';
import { strongestKinds } from './history-kinds.js';
import { buildContentFeatures, type ContentFeatures } from './features.js';
import { buildItemKnn, type NeighbourLists } from './knn.js';
import { buildSimilarLists, emptySimilarLists, type SimilarConfig, type SimilarLists } from './item-similarity.js';
import { cholesky, choleskySolve, gramian } from './linalg.js';
import { MODEL_FORMAT, MODEL_VERSION, RecommenderModel, type ModelHeader } from './model.js';
import { standardise } from './scorers/index.js';
import { DEFAULT_RATING_SCALE, ratingScaleProblem } from './ratings.js';
import { buildInteractionMatrix, timeOf, transpose, type CsrMatrix } from './signals.js';
import { denseMatMul, ensureBackend, fastMatMulAvailable } from './tf-ops.js';
import {
  InsufficientInteractionDataError,
  MIN_TRAINING,
  type AlsConfig,
  type BlendWeights,
  type EaseConfig,
  type EvaluationReport,
  type FeatureReport,
  type InteractionInput,
  type RecommenderTrainingData,
  type SignalConfig,
  type TrainingProgress,
} from './types.js';

export interface TrainRecommenderOptions {
  onProgress?: (p: TrainingProgress) => void;
  /** Backend to start TensorFlow.js with if it is not running yet (default 'auto'). */
  backend?: BackendPreference;
}

export interface TrainRecommenderResult {
  model: RecommenderModel;
  /** Temporal hold-out metrics for the default strategy and baselines (null when evaluate=false). */
  metrics: EvaluationReport | null;
  featureReport: FeatureReport;
  trainingSeconds: number;
  /** TensorFlow.js backend used for batched matrix products ('js' if none). */
  backend: string;
  chosen: { als: AlsConfig; ease: EaseConfig; blend: BlendWeights; signals: SignalConfig };
  /** Validation NDCG@10 per ALS / EASE candidate and of the chosen blend, when tuned. */
  tuning: {
    alsCandidates: { regularization: number; unobservedWeight: number; ndcgAt10: number }[];
    /** `regularization` is relative (see EaseConfig); `lambda` the absolute value it gave. */
    easeCandidates: { regularization: number; lambda: number; items: number; ndcgAt10: number; seconds: number }[];
    blendNdcgAt10: number;
  } | null;
}

export const DEFAULT_BLEND: BlendWeights = { collaborative: 1, knn: 0.5, content: 0.2, popularity: 0.2, ease: 0.25 };

/**
 * Starting points of the blend search: the default, the default without EASE
 * (the pre-EASE optimum on funnel data) and an EASE-led blend (MovieLens-like data).
 */
const BLEND_STARTS: readonly BlendWeights[] = [DEFAULT_BLEND, { ...DEFAULT_BLEND, ease: 0 }, { collaborative: 0, knn: 0, content: 0, popularity: 0.25, ease: 1 }];

function validate(data: RecommenderTrainingData): void {
  const { userCount, itemCount, interactions } = data;
  if (!Number.isInteger(userCount) || !Number.isInteger(itemCount) || userCount < 0 || itemCount < 0) {
    throw new RangeError('userCount and itemCount must be non-negative integers');
  }
  if (data.ids && (data.ids.users.length !== userCount || data.ids.items.length !== itemCount)) {
    throw new RangeError('ids.users / ids.items must have userCount / itemCount entries');
  }
  const scaleProblem = data.ratingScale ? ratingScaleProblem(data.ratingScale) : null;
  if (scaleProblem) throw new RangeError(`ratingScale: ${scaleProblem}`);
  let valid = 0;
  const users = new Set<number>();
  const items = new Set<number>();
  for (const it of interactions) {
    if (it.user >= 0 && it.user < userCount && it.item >= 0 && it.item < itemCount && Number.isInteger(it.user) && Number.isInteger(it.item)) {
      valid++;
      users.add(it.user);
      items.add(it.item);
    }
  }
  if (valid < MIN_TRAINING.interactions || users.size < MIN_TRAINING.users || items.size < MIN_TRAINING.items) {
    throw new InsufficientInteractionDataError(
      `need at least ${MIN_TRAINING.interactions} interactions from ${MIN_TRAINING.users} users on ${MIN_TRAINING.items} items; ` +
        `got ${valid} valid interactions, ${users.size} users, ${items.size} items`,
    );
  }
}

interface FitContext {
  data: RecommenderTrainingData;
  features: ContentFeatures;
  signals: SignalConfig;
  neighbours: number;
  ease: EaseConfig;
  similar: SimilarConfig;
  seed: number;
  trendingHalfLifeDays: number;
  backend: string;
  onProgress?: (p: TrainingProgress) => void;
}

/** Ridge map content → factors, used to give never-seen items collaborative factors. */
function projectColdItems(itemFactors: Float32Array, k: number, features: ContentFeatures, warm: Uint8Array): number {
  const d = features.dimensions;
  const { indptr, indices, values } = features;
  const xtx = new Float64Array(d * d);
  const xtv = new Float64Array(d * k);
  let nWarm = 0;
  let nCold = 0;
  for (let i = 0; i < features.itemCount; i++) {
    if (!warm[i]) {
      nCold++;
      continue;
    }
    nWarm++;
    for (let p = indptr[i]; p < indptr[i + 1]; p++) {
      const a = indices[p];
      const va = values[p];
      for (let q = indptr[i]; q < indptr[i + 1]; q++) xtx[a * d + indices[q]] += va * values[q];
      for (let f = 0; f < k; f++) xtv[a * k + f] += va * itemFactors[i * k + f];
    }
  }
  if (nCold === 0 || nWarm < 10) return 0;
  for (let a = 0; a < d; a++) xtx[a * d + a] += 1; // ridge λ = 1 (rows are unit-norm)
  const w = choleskySolve(cholesky(xtx, d), d, xtv, k);
  for (let i = 0; i < features.itemCount; i++) {
    if (warm[i]) continue;
    for (let f = 0; f < k; f++) {
      let s = 0;
      for (let p = indptr[i]; p < indptr[i + 1]; p++) s += values[p] * w[indices[p] * k + f];
      itemFactors[i * k + f] = s;
    }
  }
  return nCold;
}

interface Prepared {
  r: CsrMatrix;
  rt: CsrMatrix;
  refMs: number;
  knn: NeighbourLists;
  popularity: Float32Array;
  trending: Float32Array;
  warm: Uint8Array;
  /** Strongest interaction kind per entry of r (history-kinds.ts). */
  kinds: Int32Array;
}

/** Everything that does not depend on ALS hyperparameters (shared by tuning candidates). */
function prepare(ctx: FitContext, interactions: readonly InteractionInput[], stage: TrainingProgress['stage']): Prepared {
  const { data, signals } = ctx;
  const I = data.itemCount;
  let refMs = -Infinity;
  for (const it of interactions) refMs = Math.max(refMs, timeOf(it.occurredAt));
  const r = buildInteractionMatrix(interactions, data.userCount, I, signals, refMs);
  const rt = transpose(r);
  ctx.onProgress?.({ stage: stage === 'final' ? 'knn' : stage, message: 'item-kNN' });
  const knn = buildItemKnn(r, rt, ctx.neighbours);
  const popularity = new Float32Array(I);
  const trending = new Float32Array(I);
  const warm = new Uint8Array(I);
  for (let i = 0; i < I; i++) {
    for (let q = rt.indptr[i]; q < rt.indptr[i + 1]; q++) {
      warm[i] = 1;
      if (!(rt.values[q] > 0)) continue;
      popularity[i] += 1;
      trending[i] += Math.pow(0.5, Math.max(0, refMs - rt.lastSeen[q]) / 86_400_000 / ctx.trendingHalfLifeDays);
    }
  }
  return { r, rt, refMs, knn, popularity, trending, warm, kinds: strongestKinds(interactions, r.indptr, r.indices) };
}

/** An EASE fit with the relative λ it was asked for (null: EASE not used). */
interface EaseChoice {
  fit: EaseFit;
  regularization: number;
}

function fitEaseOn(ctx: FitContext, prep: Prepared, regularization: number, label: string): EaseChoice | null {
  if (ctx.ease.maxItems < 2) return null;
  const problem = easeProblem(prep.r, prep.rt, ctx.ease);
  ctx.onProgress?.({ stage: 'ease', message: `${label}: solving ${problem.items.length} items, λ=${(regularization * problem.scale).toPrecision(3)}` });
  return { fit: fitEase(problem, regularization, ctx.ease.neighbours, denseMatMul), regularization };
}

function fit(
  ctx: FitContext,
  prep: Prepared,
  als: AlsConfig,
  blend: BlendWeights,
  metrics: EvaluationReport | null,
  stage: TrainingProgress['stage'],
  ease: EaseChoice | null,
  init?: RecommenderModel,
  similar: SimilarLists | null = null,
): RecommenderModel {
  const { data, features, signals } = ctx;
  const U = data.userCount;
  const I = data.itemCount;
  const { r, rt, refMs, knn, popularity, trending, warm } = prep;
  ctx.onProgress?.({ stage: stage === 'final' ? 'als' : stage, iteration: 0, iterations: als.iterations, message: 'als' });
  const f = trainAls(
    r,
    rt,
    als,
    ctx.seed,
    (iteration, loss) => ctx.onProgress?.({ stage: stage === 'final' ? 'als' : stage, iteration, iterations: als.iterations, loss, message: 'als' }),
    stage === 'final',
    init?.arrays,
  );
  projectColdItems(f.itemFactors, f.factors, features, warm);
  const easeLists = ease?.fit.lists ?? emptyEaseLists(I);
  const similarLists = similar ?? emptySimilarLists(I);

  const header: ModelHeader = {
    format: MODEL_FORMAT,
    version: MODEL_VERSION,
    userCount: U,
    itemCount: I,
    factors: f.factors,
    knnK: knn.k,
    contentDims: features.dimensions,
    ids: data.ids ? { users: [...data.ids.users], items: [...data.ids.items] } : null,
    featureReport: features.report,
    categories: features.categories,
    signals,
    als,
    alpha0: f.alpha0,
    blend,
    ease: ease === null ? null : { config: { ...ctx.ease, regularization: ease.regularization }, items: ease.fit.items, lambda: ease.fit.lambda },
    similar: similar === null ? null : { config: ctx.similar, metrics: [...similar.metrics] },
    trendingHalfLifeDays: ctx.trendingHalfLifeDays,
    referenceMs: Number.isFinite(refMs) ? refMs : 0,
    trainedAt: new Date().toISOString(),
    backend: ctx.backend,
    metrics,
    candidates: 0,
  };
  return new RecommenderModel(header, {
    userFactors: f.userFactors,
    itemFactors: f.itemFactors,
    itemGram: gramian(f.itemFactors, I, f.factors),
    knnIndices: knn.indices,
    knnSims: knn.sims,
    historyIndptr: r.indptr,
    historyItems: r.indices,
    historyWeights: r.values,
    historyKinds: prep.kinds,
    popularity,
    trending,
    contentIndptr: features.indptr,
    contentIndices: features.indices,
    contentValues: features.values,
    itemCategory: features.itemCategory,
    easeIndptr: easeLists.indptr,
    easeIndices: easeLists.indices,
    easeWeights: easeLists.weights,
    candidateItems: new Int32Array(0),
    candidateScores: new Float32Array(0),
    similarIndptr: similarLists.indptr,
    similarNeighbours: similarLists.items,
    similarScores: similarLists.scores,
    similarShared: similarLists.shared,
  });
}

/** Items of the behaviour lists between two turns of the event loop. */
const SIMILAR_SLICE_ITEMS = 250;

/** The behaviour neighbour lists of similarProducts, built item by item with the event loop free between slices. */
function similarListsFor(ctx: FitContext, prep: Prepared): Promise<SimilarLists> {
  return buildSimilarLists(prep.r, prep.kinds, ctx.similar, {
    sliceItems: SIMILAR_SLICE_ITEMS,
    pause: () => new Promise<void>((resolve) => setImmediate(resolve)),
    onProgress: (done, total) => ctx.onProgress?.({ stage: 'similar', iteration: done, iterations: total, message: `similar products: ${done} of ${total} items` }),
  });
}

/** EASE item cap without a fast matrix product (measured: 1,200 items ≈ 0.8 s per solve in plain JS). */
const JS_EASE_MAX_ITEMS = 1200;

/** The EASE λ search solves this share of the modelled items (most engaged first). */
const EASE_TUNE_ITEMS = 0.5;

/** Relative validation NDCG@10 gain EASE must bring to the blend to be kept (see tuneBlend's minGain). */
const EASE_MIN_GAIN = 0.01;

/** Epochs the chosen ALS candidate is continued before the blend is tuned on it. */
const BLEND_EXTRA_ITERATIONS = 2;

/** Fewer epochs while comparing candidates: their ranking stabilises early. */
const TUNE_ITERATIONS = 4;

/**
 * Regularisation needs differ by orders of magnitude across data shapes: tries `base`, ×4 and
 * ÷4 (in that order), then one more ×4 step beyond an edge that wins. `score` fits and records
 * each candidate (the caller keeps the best).
 */
function searchRegularization(base: number, score: (regularization: number) => number): void {
  const mid = score(base);
  const up = score(base * 4);
  const down = score(base / 4);
  if (up > mid && up >= down) score(base * 16);
  else if (down > mid && down > up) score(base / 16);
}

export async function trainRecommender(
  given: RecommenderTrainingData,
  hyperparameters: RecommenderHyperparameters = {},
  options: TrainRecommenderOptions = {},
): Promise<TrainRecommenderResult> {
  const t0 = performance.now();
  const onProgress = options.onProgress;
  validate(given);
  // Content order, so the model does not depend on the order rows were read in (canonical.ts).
  const data: RecommenderTrainingData = { ...given, interactions: canonicalInteractions(given.interactions) };
  onProgress?.({ stage: 'prepare', message: 'validating input' });
  const hp = resolveRecommenderHyperparameters(hyperparameters);
  const backend = await ensureBackend(options.backend);
  const { als: baseAls, seed, testFraction, maxEvalUsers } = hp;
  // The data's rating scale joins the tuned settings: the model stores both and serves with them.
  const signals: SignalConfig = { ...hp.signals, ratings: data.ratingScale ?? DEFAULT_RATING_SCALE };
  // The plain-JS product is ~5× slower than the wasm kernel: keep the O(M³) solve near the same time budget.
  const baseEase = fastMatMulAvailable() ? hp.ease : { ...hp.ease, maxItems: Math.min(hp.ease.maxItems, JS_EASE_MAX_ITEMS) };
  onProgress?.({ stage: 'features', message: 'building content features' });
  const features = buildContentFeatures(data.items, data.itemCount);

  let tMin = Infinity;
  let tMax = -Infinity;
  for (const it of data.interactions) {
    const t = timeOf(it.occurredAt);
    if (t < tMin) tMin = t;
    if (t > tMax) tMax = t;
  }
  const spanDays = Number.isFinite(tMax - tMin) ? (tMax - tMin) / 86_400_000 : 0;
  const ctx: FitContext = {
    data,
    features,
    signals,
    neighbours: hp.neighbours,
    ease: baseEase,
    similar: hp.similar,
    seed,
    trendingHalfLifeDays: hp.trendingHalfLifeDays ?? Math.max(1, spanDays / 8),
    backend,
    onProgress,
  };

  // A fixed blend given without `ease` (as before EASE existed) resolves to ease 0: no EASE.
  const fixedBlend: BlendWeights | null = hp.blend === 'auto' ? null : hp.blend;
  const tuneAls = hp.tuneAls;
  // EASE is skipped entirely (no O(M³) solve) when a fixed blend gives it no weight.
  const easeEnabled = baseEase.maxItems >= 2 && (fixedBlend === null || fixedBlend.ease > 0);
  const tuneEase = easeEnabled && hp.tuneEase;
  let chosenAls = baseAls;
  let chosenEaseReg = baseEase.regularization;
  let chosenBlend = fixedBlend ?? DEFAULT_BLEND;
  let tuning: TrainRecommenderResult['tuning'] = null;

  const tune = (interactions: readonly InteractionInput[]): void => {
    if (fixedBlend !== null && !tuneAls && !tuneEase) return;
    const inner = temporalSplit(interactions, testFraction);
    const rel = relevantItems(inner, signals);
    if (rel.size < 5) return; // too little data to tune; keep defaults
    const prep = prepare(ctx, inner.train, 'tune');

    // EASE first: its λ search is independent of ALS, and every ALS candidate then carries the chosen lists.
    const easeResults: NonNullable<TrainRecommenderResult['tuning']>['easeCandidates'] = [];
    let ease: EaseChoice | null = null;
    if (tuneEase) {
      const problem = easeProblem(prep.r, prep.rt, baseEase, Math.ceil(baseEase.maxItems * EASE_TUNE_ITEMS));
      const tiePrior = standardise(prep.trending.map((t) => Math.log1p(t)));
      let bestNdcg = -Infinity;
      const tryEase = (regularization: number): number => {
        onProgress?.({ stage: 'ease', iteration: easeResults.length + 1, message: `tuning: ${problem.items.length} items, λ=${(regularization * problem.scale).toPrecision(3)}` });
        const f = fitEase(problem, regularization, baseEase.neighbours, denseMatMul);
        const ndcg = easeNdcg(f.lists, prep.r, tiePrior, rel, { maxUsers: Math.min(maxEvalUsers, 1000), seed });
        easeResults.push({ regularization, lambda: f.lambda, items: f.items, ndcgAt10: ndcg, seconds: f.seconds });
        if (ndcg > bestNdcg) {
          bestNdcg = ndcg;
          chosenEaseReg = regularization;
          ease = { fit: f, regularization };
        }
        return ndcg;
      };
      searchRegularization(baseEase.regularization, tryEase);
    }
    // The blend is tuned with the λ search's winner (the most engaged half of the items):
    // a full-size solve here costs as much as the whole search and changed little
    // (ml shape: 0.2230 vs 0.2218 test NDCG@10).
    if (easeEnabled && fixedBlend === null && ease === null) ease = fitEaseOn(ctx, prep, chosenEaseReg, 'default λ');

    const results: { regularization: number; unobservedWeight: number; ndcgAt10: number }[] = [];
    let best: { model: RecommenderModel; ndcg: number; als: AlsConfig } | null = null;
    const tryLambda = (regularization: number): number => {
      const als = { ...baseAls, regularization, iterations: tuneAls ? Math.min(baseAls.iterations, TUNE_ITERATIONS) : baseAls.iterations };
      onProgress?.({ stage: 'tune', iteration: results.length + 1, message: `ALS candidate λ=${regularization}` });
      const m = fit(ctx, prep, als, chosenBlend, null, 'tune', ease);
      const ndcg = tuneAls ? collaborativeNdcg(m, rel, { maxUsers: Math.min(maxEvalUsers, 1000), seed }) : 0;
      results.push({ regularization, unobservedWeight: als.unobservedWeight, ndcgAt10: ndcg });
      if (best === null || ndcg > best.ndcg) best = { model: m, ndcg, als };
      return ndcg;
    };
    // Without tuneAls, one fit at the given λ still carries the blend search.
    if (tuneAls) searchRegularization(baseAls.regularization, tryLambda);
    else if (fixedBlend === null) tryLambda(baseAls.regularization);
    const winner = best as { model: RecommenderModel; ndcg: number; als: AlsConfig } | null;
    if (winner !== null) chosenAls = { ...winner.als, iterations: baseAls.iterations };
    let blendNdcg = 0;
    if (fixedBlend === null && winner !== null) {
      // The 4-epoch candidate under-rates ALS against EASE, so it is continued before the
      // blend is tuned on it. Wide shape, test NDCG@10 of the resulting blend: 0.1530 as is,
      // 0.1583 with +2 epochs, the same blend with +6 (which cost 20 s more).
      let blendModel = winner.model;
      if (tuneAls && baseAls.iterations > TUNE_ITERATIONS) {
        onProgress?.({ stage: 'tune', message: `continuing the chosen ALS by ${BLEND_EXTRA_ITERATIONS} epochs` });
        blendModel = fit(
          ctx,
          prep,
          { ...winner.als, iterations: Math.min(BLEND_EXTRA_ITERATIONS, baseAls.iterations - TUNE_ITERATIONS) },
          chosenBlend,
          null,
          'tune',
          ease,
          winner.model,
        );
      }
      onProgress?.({ stage: 'tune', message: 'blend weights' });
      // 500 validation users: with 1,000 the chosen blends gave the same test NDCG@10 on funnel
      // and wide and 0.0024 less on ml, at twice the scoring work.
      const t = tuneBlend(blendModel, rel, easeEnabled ? BLEND_STARTS : BLEND_STARTS.map((b) => ({ ...b, ease: 0 })), {
        maxUsers: Math.min(maxEvalUsers, 500),
        seed,
        // EASE costs an O(M³) solve at every fit and ≈ 8·M·k artifact bytes: kept only for a clear gain.
        ...(easeEnabled ? { minGain: { ease: EASE_MIN_GAIN } } : { values: { ease: [0] } }),
      });
      chosenBlend = t.best;
      blendNdcg = t.ndcg;
    }
    tuning = { alsCandidates: results, easeCandidates: easeResults, blendNdcgAt10: blendNdcg };
  };

  let metrics: EvaluationReport | null = null;
  if (hp.evaluate) {
    const hold = recommenderHoldOut(data, hp, signals);
    const split = hold.split;
    tune(split.train);
    onProgress?.({ stage: 'evaluate', message: 'temporal hold-out' });
    const prep = prepare(ctx, split.train, 'evaluate');
    // Fitted even when the blend gives EASE no weight, so its hold-out metrics are reported.
    const ease = easeEnabled ? fitEaseOn(ctx, prep, chosenEaseReg, 'hold-out fit') : null;
    const evalModel = fit(ctx, prep, chosenAls, chosenBlend, null, 'evaluate', ease);
    const ev = evaluateModel(evalModel, hold.relevant, { users: hold.users });
    metrics = {
      model: ev.hybrid,
      collaborative: ev.collaborative,
      content: ev.content,
      popularity: ev.popularity,
      itemKnn: ev.itemKnn,
      ease: ev.ease,
      testFraction,
      trainInteractions: split.train.length,
      testInteractions: split.test.length,
    };
  } else {
    tune(data.interactions);
  }

  onProgress?.({ stage: 'final', message: 'fitting on all data' });
  const prep = prepare(ctx, data.interactions, 'final');
  const ease = easeEnabled && chosenBlend.ease > 0 ? fitEaseOn(ctx, prep, chosenEaseReg, 'final fit') : null;
  const similar = await similarListsFor(ctx, prep);
  const fitted = fit(ctx, prep, chosenAls, chosenBlend, metrics, 'final', ease, undefined, similar);
  onProgress?.({ stage: 'candidates', iteration: 0, iterations: fitted.userCount, message: `top ${hp.servingCandidates} per customer` });
  const model = fitted.withServingCandidates(hp.servingCandidates, (done, total) =>
    onProgress?.({ stage: 'candidates', iteration: done, iterations: total, message: `top ${hp.servingCandidates} per customer` }),
  );
  return {
    model,
    metrics,
    featureReport: features.report,
    trainingSeconds: (performance.now() - t0) / 1000,
    backend,
    chosen: { als: chosenAls, ease: { ...baseEase, regularization: chosenEaseReg }, blend: chosenBlend, signals },
    tuning,
  };
}
