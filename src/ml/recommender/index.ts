/** Public surface of the recommender core. */
export * from './types.js';
export { cosineSimilarity, pearsonCorrelation, euclideanDistance, euclideanSimilarity, similarity, sparseSimilarity } from './similarity.js';
export type { SimilarityMetric, SparseVector } from './similarity.js';
export { recallAtK, precisionAtK, ndcgAtK, averagePrecisionAtK, catalogueCoverage, topK } from './metrics.js';
export { DEFAULT_SIGNALS, resolveSignals, signalWeight, decayFactor, buildInteractionMatrix } from './signals.js';
export type { CsrMatrix } from './signals.js';
export { buildContentFeatures } from './features.js';
export type { ContentFeatures } from './features.js';
export { DEFAULT_ALS, trainAls } from './als.js';
export { buildItemKnn } from './knn.js';
export { RecommenderModel, MODEL_FORMAT, MODEL_VERSION } from './model.js';
export type { ModelHeader, ModelArrays } from './model.js';
export { temporalSplit, relevantItems, evaluateModel, evaluateHistories, sampleUsers, tuneBlend, collaborativeNdcg } from './evaluation.js';
export type { TemporalSplit, RelevanceMode, ModelEvaluation, HeldOutUser } from './evaluation.js';
export { trainRecommender, DEFAULT_BLEND, DEFAULT_NEIGHBOURS } from './train.js';
export type { TrainRecommenderOptions, TrainRecommenderResult } from './train.js';
export { createRng } from './random.js';
