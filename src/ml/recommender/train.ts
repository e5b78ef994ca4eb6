/**
 * Training entry point: signals → matrix → iALS + item-kNN + content +
 * popularity → hybrid model. Hyperparameters (ALS regularisation, blend
 * weights) are chosen on an internal temporal validation split carved from the
 * training data only, so the reported test metrics are not tuned on test.
 */
import { DEFAULT_ALS, trainAls } from './als.js';
import { collaborativeNdcg, evaluateModel, relevantItems, temporalSplit, tuneBlend } from './evaluation.js';
import { buildContentFeatures, type ContentFeatures } from './features.js';
import { buildItemKnn, type NeighbourLists } from './knn.js';
import { cholesky, choleskySolve, gramian } from './linalg.js';
import { MODEL_FORMAT, MODEL_VERSION, RecommenderModel, type ModelHeader } from './model.js';
import { buildInteractionMatrix, resolveSignals, timeOf, transpose, type CsrMatrix } from './signals.js';
import { ensureBackend } from './tf-ops.js';
import {
  InsufficientInteractionDataError,
  MIN_TRAINING,
  type AlsConfig,
  type BlendWeights,
  type EvaluationReport,
  type FeatureReport,
  type InteractionInput,
  type RecommenderHyperparameters,
  type RecommenderTrainingData,
  type SignalConfig,
  type TrainingProgress,
} from './types.js';

export interface TrainRecommenderOptions {
  onProgress?: (p: TrainingProgress) => void;
}

export interface TrainRecommenderResult {
  model: RecommenderModel;
  /** Temporal hold-out metrics for the default strategy and baselines (null when evaluate=false). */
  metrics: EvaluationReport | null;
  featureReport: FeatureReport;
  trainingSeconds: number;
  /** TensorFlow.js backend used for batched matrix products ('js' if none). */
  backend: string;
  chosen: { als: AlsConfig; blend: BlendWeights; signals: SignalConfig };
  /** Validation NDCG@10 per ALS candidate and of the chosen blend, when tuned. */
  tuning: { alsCandidates: { regularization: number; unobservedWeight: number; ndcgAt10: number }[]; blendNdcgAt10: number } | null;
}

export const DEFAULT_NEIGHBOURS = 100;

export const DEFAULT_BLEND: BlendWeights = { collaborative: 1, knn: 0.5, content: 0.2, popularity: 0.2 };

function validate(data: RecommenderTrainingData): void {
  const { userCount, itemCount, interactions } = data;
  if (!Number.isInteger(userCount) || !Number.isInteger(itemCount) || userCount < 0 || itemCount < 0) {
    throw new RangeError('userCount and itemCount must be non-negative integers');
  }
  if (data.ids && (data.ids.users.length !== userCount || data.ids.items.length !== itemCount)) {
    throw new RangeError('ids.users / ids.items must have userCount / itemCount entries');
  }
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
  return { r, rt, refMs, knn, popularity, trending, warm };
}

function fit(
  ctx: FitContext,
  prep: Prepared,
  als: AlsConfig,
  blend: BlendWeights,
  metrics: EvaluationReport | null,
  stage: TrainingProgress['stage'],
): RecommenderModel {
  const { data, features, signals } = ctx;
  const U = data.userCount;
  const I = data.itemCount;
  const { r, rt, refMs, knn, popularity, trending, warm } = prep;
  const f = trainAls(r, rt, als, ctx.seed, (iteration, loss) =>
    ctx.onProgress?.({ stage: stage === 'final' ? 'als' : stage, iteration, iterations: als.iterations, loss, message: 'als' }),
    stage === 'final',
  );
  projectColdItems(f.itemFactors, f.factors, features, warm);

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
    trendingHalfLifeDays: ctx.trendingHalfLifeDays,
    referenceMs: Number.isFinite(refMs) ? refMs : 0,
    trainedAt: new Date().toISOString(),
    backend: ctx.backend,
    metrics,
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
    popularity,
    trending,
    contentIndptr: features.indptr,
    contentIndices: features.indices,
    contentValues: features.values,
    itemCategory: features.itemCategory,
  });
}

/** Fewer epochs while comparing candidates: their ranking stabilises early. */
const TUNE_ITERATIONS = 4;

export async function trainRecommender(
  data: RecommenderTrainingData,
  hyperparameters: RecommenderHyperparameters = {},
  options: TrainRecommenderOptions = {},
): Promise<TrainRecommenderResult> {
  const t0 = performance.now();
  const onProgress = options.onProgress;
  validate(data);
  onProgress?.({ stage: 'prepare', message: 'validating input' });
  const backend = await ensureBackend();
  const signals = resolveSignals(hyperparameters.signals);
  const baseAls: AlsConfig = { ...DEFAULT_ALS, ...(hyperparameters.als ?? {}) };
  const seed = hyperparameters.seed ?? 42;
  const testFraction = hyperparameters.testFraction ?? 0.2;
  const maxEvalUsers = hyperparameters.maxEvalUsers ?? 2000;
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
    neighbours: hyperparameters.neighbours ?? DEFAULT_NEIGHBOURS,
    seed,
    trendingHalfLifeDays: hyperparameters.trendingHalfLifeDays ?? Math.max(1, spanDays / 8),
    backend,
    onProgress,
  };

  const fixedBlend = hyperparameters.blend !== undefined && hyperparameters.blend !== 'auto' ? hyperparameters.blend : null;
  const tuneAls = hyperparameters.tuneAls ?? true;
  let chosenAls = baseAls;
  let chosenBlend = fixedBlend ?? DEFAULT_BLEND;
  let tuning: TrainRecommenderResult['tuning'] = null;

  const tune = (interactions: readonly InteractionInput[]): void => {
    if (fixedBlend !== null && !tuneAls) return;
    const inner = temporalSplit(interactions, testFraction);
    const rel = relevantItems(inner, signals);
    if (rel.size < 5) return; // too little data to tune; keep defaults
    const prep = prepare(ctx, inner.train, 'tune');
    const results: { regularization: number; unobservedWeight: number; ndcgAt10: number }[] = [];
    let best: { model: RecommenderModel; ndcg: number; als: AlsConfig } | null = null;
    const tryLambda = (regularization: number): number => {
      const als = { ...baseAls, regularization, iterations: tuneAls ? Math.min(baseAls.iterations, TUNE_ITERATIONS) : baseAls.iterations };
      onProgress?.({ stage: 'tune', iteration: results.length + 1, message: `ALS candidate λ=${regularization}` });
      const m = fit(ctx, prep, als, chosenBlend, null, 'tune');
      const ndcg = tuneAls ? collaborativeNdcg(m, rel, { maxUsers: Math.min(maxEvalUsers, 1000), seed }) : 0;
      results.push({ regularization, unobservedWeight: als.unobservedWeight, ndcgAt10: ndcg });
      if (best === null || ndcg > best.ndcg) best = { model: m, ndcg, als };
      return ndcg;
    };
    const base = baseAls.regularization;
    const mid = tryLambda(base);
    if (tuneAls) {
      // Regularisation needs differ by orders of magnitude across data shapes:
      // search ×4 steps and extend one more step when the edge wins.
      const up = tryLambda(base * 4);
      const down = tryLambda(base / 4);
      if (up > mid && up >= down) tryLambda(base * 16);
      else if (down > mid && down > up) tryLambda(base / 16);
    }
    const winner = best as unknown as { model: RecommenderModel; ndcg: number; als: AlsConfig };
    chosenAls = { ...winner.als, iterations: baseAls.iterations };
    let blendNdcg = 0;
    if (fixedBlend === null) {
      onProgress?.({ stage: 'tune', message: 'blend weights' });
      const t = tuneBlend(winner.model, rel, DEFAULT_BLEND, { maxUsers: Math.min(maxEvalUsers, 400), seed });
      chosenBlend = t.best;
      blendNdcg = t.ndcg;
    }
    tuning = { alsCandidates: results, blendNdcgAt10: blendNdcg };
  };

  let metrics: EvaluationReport | null = null;
  if (hyperparameters.evaluate ?? true) {
    const split = temporalSplit(data.interactions, testFraction);
    tune(split.train);
    onProgress?.({ stage: 'evaluate', message: 'temporal hold-out' });
    const evalModel = fit(ctx, prepare(ctx, split.train, 'evaluate'), chosenAls, chosenBlend, null, 'evaluate');
    const rel = relevantItems(split, signals);
    const ev = evaluateModel(evalModel, rel, { maxUsers: maxEvalUsers, seed });
    metrics = {
      model: ev.hybrid,
      collaborative: ev.collaborative,
      content: ev.content,
      popularity: ev.popularity,
      itemKnn: ev.itemKnn,
      testFraction,
      trainInteractions: split.train.length,
      testInteractions: split.test.length,
    };
  } else {
    tune(data.interactions);
  }

  onProgress?.({ stage: 'final', message: 'fitting on all data' });
  const model = fit(ctx, prepare(ctx, data.interactions, 'final'), chosenAls, chosenBlend, metrics, 'final');
  return {
    model,
    metrics,
    featureReport: features.report,
    trainingSeconds: (performance.now() - t0) / 1000,
    backend,
    chosen: { als: chosenAls, blend: chosenBlend, signals },
    tuning,
  };
}
