/** Public types of the recommender core (index-based; the service maps ids). */
import type { RatingScale } from './ratings.js';

export type InteractionKind = 'VIEW' | 'CLICK' | 'ADD_TO_CART' | 'PURCHASE' | 'RATING';

export type Strategy = 'COLLABORATIVE' | 'CONTENT' | 'HYBRID' | 'POPULAR';

export interface InteractionInput {
  user: number;
  item: number;
  type: InteractionKind;
  /** RATING: a rating on the data's scale (`ratingScale`); PURCHASE: quantity (unused by default); else ignored. */
  value?: number | null;
  /** Date or epoch milliseconds. */
  occurredAt: Date | number;
}

/** Raw product description; any field may be missing. */
export interface ItemFeatureInput {
  category?: string | null;
  tags?: readonly string[] | null;
  price?: number | null;
  attributes?: Readonly<Record<string, number | string | boolean | null | undefined>> | null;
}

export interface RecommenderTrainingData {
  userCount: number;
  itemCount: number;
  interactions: readonly InteractionInput[];
  /** Per item index (length itemCount); undefined entries are treated as fully missing. */
  items?: readonly (ItemFeatureInput | undefined)[];
  /** String ids persisted with the model so the service can map DB ids <-> indices. */
  ids?: { users: readonly string[]; items: readonly string[] };
  /** The scale RATING values are on; default DEFAULT_RATING_SCALE (0.5 to 5 in halves). */
  ratingScale?: RatingScale;
}

/** The signal settings a caller may tune (the `signals` hyperparameters). */
export interface SignalSettings {
  /** Weight per interaction type; must increase along the funnel. */
  weights: Record<Exclude<InteractionKind, 'RATING'>, number>;
  /**
   * A rating whose position on its scale, (r − min) / (max − min), is at most this is negative
   * evidence (1/3: up to 2 on 0.5–5, up to 4 on 1–10).
   */
  ratingNegativeFraction: number;
  /** Weight a rating gains from the bottom of its scale to the top (linear in its position). */
  ratingWeight: number;
  /** Weight of a rating exactly at the negative threshold, negated (lower ones weigh less still). */
  ratingNegativeWeight: number;
  /** Exponential time decay half-life in days; null = no decay. */
  halfLifeDays: number | null;
}

export interface SignalConfig extends SignalSettings {
  /** The scale RATING values are on: the data's, set by whoever trains (not a hyperparameter). */
  ratings: RatingScale;
}

export interface AlsConfig {
  factors: number;
  iterations: number;
  /** L2 regularisation, scaled by (n_u + unobservedWeight * n_items) ** regularizationExponent. */
  regularization: number;
  regularizationExponent: number;
  /** Weight of the implicit "all pairs are 0" term (iALS alpha_0). */
  unobservedWeight: number;
  /** Confidence = 1 + alpha * log1p(|signal|). */
  alpha: number;
  cgSteps: number;
}

export interface EaseConfig {
  /**
   * Cap on the items EASE models (most engaged first); its dense inverse costs O(maxItems³).
   * Default 2500 (1200 without a wasm/native TensorFlow backend); 0 or 1 disables EASE.
   */
  maxItems: number;
  /** Model the fewest items covering this share of positive (user, item) pairs, up to maxItems. Default 0.95. */
  coverage: number;
  /**
   * λ relative to the data: absolute λ = regularization × mean diagonal of XᵀX over the
   * modelled items (their mean number of engaged users). Default 8; searched ×4 when tuneEase.
   */
  regularization: number;
  /** Positive weights kept per item after solving (largest first). Default 100. */
  neighbours: number;
}

export interface BlendWeights {
  collaborative: number;
  knn: number;
  content: number;
  popularity: number;
  /** EASE item→item model (0 for version-1 models, which have none). */
  ease: number;
}

export interface RecommendOptions {
  limit: number;
  strategy: Strategy;
  /** Item indices never to return. */
  exclude?: Set<number>;
  filter?: (item: number) => boolean;
  /** Return items the user already interacted with (default false). */
  includeSeen?: boolean;
}

export type ReasonKind = 'BECAUSE_YOU_INTERACTED' | 'POPULAR_IN_CATEGORY' | 'POPULAR' | 'SIMILAR_CONTENT' | 'NEW_USER';

export interface Recommendation {
  item: number;
  score: number;
  reason: { kind: ReasonKind; itemIndex?: number; category?: string };
}

export interface HistoryEntry {
  item: number;
  type?: InteractionKind;
  value?: number | null;
  occurredAt?: Date | number;
}

export interface UserScore {
  user: number;
  score: number;
}

/**
 * What customers did with both items of a pair, shallowest to deepest (a customer counts at the
 * shallower of their two strongest interactions). `INTERACTED`: only co-rated customers, none
 * positive on both.
 */
export const SHARED_LEVELS = ['VIEW', 'CLICK', 'RATING', 'ADD_TO_CART', 'PURCHASE', 'INTERACTED'] as const;
export type SharedLevel = (typeof SHARED_LEVELS)[number];

/** What a similarity was computed on: customers' behaviour, the learned factors, or product features. */
export type SimilarityBasis = 'BEHAVIOUR' | 'FACTORS' | 'CONTENT';

export interface SimilarItem {
  item: number;
  /** In [0, 1], higher is more similar (meaning per basis and metric: docs/recommender.md). */
  score: number;
  basis: SimilarityBasis;
  /** BEHAVIOUR only: how many customers the pair rests on and what they did with both items. */
  shared?: { customers: number; level: SharedLevel };
}

export interface AttributeMissingReport {
  name: string;
  kind: 'numeric' | 'categorical' | 'price' | 'category' | 'tags';
  /** Items whose value is null / undefined / absent / non-finite. */
  missing: number;
  missingRate: number;
  /** How missing values were handled. */
  strategy: string;
  /** Median (numeric) or mode (categorical) used as the fill value, when applicable. */
  fill?: number | string | null;
}

export interface FeatureReport {
  items: number;
  dimensions: number;
  attributes: AttributeMissingReport[];
}

export interface RankingMetrics {
  recallAt20: number;
  ndcgAt10: number;
  mapAt10: number;
  coverageAt20: number;
  users: number;
}

export interface EvaluationReport {
  /** Default strategy of the trained model (HYBRID). */
  model: RankingMetrics;
  collaborative: RankingMetrics;
  content: RankingMetrics;
  popularity: RankingMetrics;
  itemKnn: RankingMetrics;
  /** EASE scores alone (ties, e.g. items outside the modelled set, broken by popularity). */
  ease: RankingMetrics;
  testFraction: number;
  trainInteractions: number;
  testInteractions: number;
}

export interface TrainingProgress {
  stage: 'prepare' | 'features' | 'tune' | 'als' | 'knn' | 'ease' | 'similar' | 'evaluate' | 'final' | 'candidates';
  /** Iteration within the stage (ALS epoch), when applicable. */
  iteration?: number;
  iterations?: number;
  /** ALS training loss (weighted squared error + regularisation), when computed. */
  loss?: number;
  message?: string;
}

export class InsufficientInteractionDataError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'InsufficientInteractionDataError';
  }
}

/** Minimums for training: below these a learned model is meaningless. */
export const MIN_TRAINING = { interactions: 20, users: 2, items: 2 } as const;
