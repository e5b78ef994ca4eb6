/** Public surface of the recommender core. */
export * from './types.js';
export { cosineSimilarity, pearsonCorrelation, euclideanDistance, euclideanSimilarity, similarity, sparseSimilarity } from './similarity.js';
export type { SimilarityMetric, SparseVector } from './similarity.js';
export { recallAtK, precisionAtK, ndcgAtK, averagePrecisionAtK, catalogueCoverage, topK } from './metrics.js';
export { DEFAULT_SIGNALS, signalWeight, decayFactor, buildInteractionMatrix, isNegativeRating, negativeRatingCeiling } from './signals.js';
export { DEFAULT_RATING_SCALE, describeRatingScale, isOnRatingScale, ratingPosition, ratingScaleProblem, type RatingScale } from './ratings.js';
export type { CsrMatrix } from './signals.js';
export { buildContentFeatures } from './features.js';
export type { ContentFeatures } from './features.js';
export { DEFAULT_ALS, trainAls } from './als.js';
export { buildItemKnn } from './knn.js';
export {
  DEFAULT_SIMILAR,
  PEARSON_OVER,
  BEHAVIOUR_METRICS,
  behaviourValue,
  shrink,
  pairScore,
  pairStatsOf,
  buildSimilarLists,
  behaviourNeighbours,
} from './item-similarity.js';
export type { SimilarConfig, SimilarLists, PairStats, BehaviourNeighbour, PearsonOver } from './item-similarity.js';
export { DEFAULT_EASE, easeProblem, fitEase, easeScores } from './ease.js';
export type { EaseFit, EaseLists, EaseProblem } from './ease.js';
export { RecommenderModel, MODEL_FORMAT, MODEL_VERSION } from './model.js';
export type { ModelHeader, ModelArrays, EaseHeader, SimilarHeader } from './model.js';
export {
  temporalSplit,
  relevantItems,
  recommenderHoldOut,
  holdOutProtocol,
  evaluateOnHoldOut,
  evaluateModel,
  evaluateHistories,
  sampleUsers,
  tuneBlend,
  collaborativeNdcg,
  easeNdcg,
  nextItemCases,
  nextItemRecall,
  labelAgreement,
} from './evaluation.js';
export type { TemporalSplit, RelevanceMode, ModelEvaluation, HeldOutUser, HoldOut, NextItemCase } from './evaluation.js';
export { trainRecommender, DEFAULT_BLEND } from './train.js';
export { canonicalIndexOrder, canonicalInteractions, compareInteractions } from './canonical.js';
export { KIND_STRENGTH, strongerKind } from './history-kinds.js';
export {
  RecommenderHyperparametersSchema,
  resolveRecommenderHyperparameters,
  resolveSignals,
  DEFAULT_NEIGHBOURS,
  DEFAULT_SERVING_CANDIDATES,
  type RecommenderHyperparameters,
  type ResolvedRecommenderHyperparameters,
  type BlendInput,
} from './hyperparameters.js';
export type { BackendPreference } from '../shared/backend.js';
export type { TrainRecommenderOptions, TrainRecommenderResult } from './train.js';
export { createRng } from '../shared/random.js';
export { contentNeighbours, audienceReason } from './catalogue.js';
export type { ItemCatalogue, ItemDescription, AudienceReason } from './catalogue.js';
export { CollaborativeScorer, ContentScorer, KnnScorer, EaseScorer, PopularityScorer, blendScores } from './scorers/index.js';
export type { CollaborativeFactors, ContentRows, ScoreComponents, UserHistory } from './scorers/index.js';
