/**
 * The recommender's hyperparameters: every key trainRecommender reads, its range and its
 * default, defined once here next to the algorithm (trainModel validates with exactly this
 * schema; docs/recommender.md lists the keys). The per-component defaults are the components'
 * own constants (DEFAULT_SIGNALS, DEFAULT_ALS, DEFAULT_EASE, DEFAULT_SIMILAR). Unknown keys are refused at every level.
 */
import { z } from 'zod';
import { DEFAULT_ALS } from './als.js';
import { DEFAULT_EASE } from './ease.js';
import { DEFAULT_RATING_SCALE, type RatingScale } from './ratings.js';
import { DEFAULT_SIMILAR, PEARSON_OVER } from './item-similarity.js';
import { DEFAULT_SIGNALS } from './signals.js';
import type { BlendWeights, SignalConfig, SignalSettings } from './types.js';

/** Neighbours kept per item for item-kNN. */
export const DEFAULT_NEIGHBOURS = 100;
/**
 * Items stored per trained user for serving (model.withServingCandidates): 100 answers every
 * unfiltered request up to the API's largest page from the list; 0 scores every request.
 */
export const DEFAULT_SERVING_CANDIDATES = 100;

const int = (min: number, max: number) => z.number().int().min(min).max(max);
const signalWeightField = (kind: keyof SignalConfig['weights']) => z.number().positive().max(1000).default(DEFAULT_SIGNALS.weights[kind]);
const FUNNEL = ['VIEW', 'CLICK', 'ADD_TO_CART', 'PURCHASE'] as const;

// The rating scale is not here: it belongs to the data (the service's configuration), not to a training run.
const SignalsSchema = z
  .object({
    /** Weight per interaction type; must not decrease along the funnel. */
    weights: z
      .object({ VIEW: signalWeightField('VIEW'), CLICK: signalWeightField('CLICK'), ADD_TO_CART: signalWeightField('ADD_TO_CART'), PURCHASE: signalWeightField('PURCHASE') })
      .strict()
      .prefault({}),
    /** Ratings in this bottom share of their scale are negative evidence (0: only the lowest rating). */
    ratingNegativeFraction: z.number().min(0).lt(1).default(DEFAULT_SIGNALS.ratingNegativeFraction),
    /** Weight a rating gains from the bottom of its scale to the top. */
    ratingWeight: z.number().positive().max(1000).default(DEFAULT_SIGNALS.ratingWeight),
    /** Weight of a rating at the negative threshold, negated. */
    ratingNegativeWeight: z.number().min(0).max(1000).default(DEFAULT_SIGNALS.ratingNegativeWeight),
    /** Exponential time decay half-life in days; null = no decay. */
    halfLifeDays: z.number().positive().max(36_500).nullable().default(DEFAULT_SIGNALS.halfLifeDays),
  })
  .strict()
  .superRefine((signals, ctx) => {
    const w = signals.weights;
    if (FUNNEL.some((kind, i) => i > 0 && w[FUNNEL[i - 1]] > w[kind])) {
      ctx.addIssue({
        code: 'custom',
        path: ['weights'],
        message: `weights must satisfy ${FUNNEL.join(' <= ')} (defaults ${FUNNEL.map((kind) => DEFAULT_SIGNALS.weights[kind]).join(', ')})`,
      });
    }
  });

const AlsSchema = z
  .object({
    factors: int(2, 256).default(DEFAULT_ALS.factors),
    iterations: int(1, 100).default(DEFAULT_ALS.iterations),
    /** L2 regularisation, scaled by (n_u + unobservedWeight · n_items) ** regularizationExponent; searched ×4 when tuneAls. */
    regularization: z.number().positive().max(1000).default(DEFAULT_ALS.regularization),
    regularizationExponent: z.number().min(0).max(2).default(DEFAULT_ALS.regularizationExponent),
    /** Weight of the implicit "all pairs are 0" term (iALS α0), relative to the data's density. */
    unobservedWeight: z.number().positive().max(100).default(DEFAULT_ALS.unobservedWeight),
    /** Confidence = 1 + alpha · log1p(|signal|). */
    alpha: z.number().min(0).max(1000).default(DEFAULT_ALS.alpha),
    /** Conjugate-gradient steps per row and half-epoch. */
    cgSteps: int(1, 20).default(DEFAULT_ALS.cgSteps),
  })
  .strict()
  .prefault({});

const EaseSchema = z
  .object({
    /** Cap on the items EASE models (O(maxItems³) solve; 1200 without a wasm/native backend); 0 or 1 disables EASE. */
    maxItems: int(0, 5000).default(DEFAULT_EASE.maxItems),
    /** Model the fewest items covering this share of positive (user, item) pairs. */
    coverage: z.number().gt(0).max(1).default(DEFAULT_EASE.coverage),
    /** λ relative to the data (× mean diagonal of XᵀX); searched ×4 when tuneEase. */
    regularization: z.number().positive().max(100_000).default(DEFAULT_EASE.regularization),
    /** Positive weights kept per item after solving. */
    neighbours: int(1, 1000).default(DEFAULT_EASE.neighbours),
  })
  .strict()
  .prefault({});

const SimilarSchema = z
  .object({
    /** Behaviour neighbours stored per item and metric for similarProducts. */
    neighbours: int(1, 200).default(DEFAULT_SIMILAR.neighbours),
    /** λ of the shrinkage k / (k + λ) (k = customers a pair rests on); 0 = none. */
    shrinkage: z.number().min(0).max(10_000).default(DEFAULT_SIMILAR.shrinkage),
    /** Items with fewer customers with positive signal are answered from the learned factors. */
    minCustomers: int(1, 1000).default(DEFAULT_SIMILAR.minCustomers),
    /** The customers PEARSON correlates over: the co-rated ones, or all (absent = 0). */
    pearsonOver: z.enum(PEARSON_OVER).default(DEFAULT_SIMILAR.pearsonOver),
  })
  .strict()
  .prefault({});

const blendWeight = z.number().min(0).max(100);
const FixedBlendSchema = z
  .object({
    collaborative: blendWeight,
    knn: blendWeight,
    content: blendWeight,
    popularity: blendWeight,
    // Optional so blends written before EASE stay valid; absent = 0 (no EASE lists are fitted).
    ease: blendWeight.optional(),
  })
  .strict()
  .refine((w) => w.collaborative + w.knn + w.content + w.popularity + (w.ease ?? 0) > 0, 'at least one blend weight must be positive')
  .transform((w): BlendWeights => ({ ...w, ease: w.ease ?? 0 }));

export const RecommenderHyperparametersSchema = z
  .object({
    signals: SignalsSchema.prefault({}),
    als: AlsSchema,
    neighbours: int(1, 1000).default(DEFAULT_NEIGHBOURS),
    /** Top unseen items stored per trained user, so most answers are a lookup (0: none). */
    servingCandidates: int(0, 1000).default(DEFAULT_SERVING_CANDIDATES),
    /** A fixed blend, or 'auto': chosen on an internal temporal validation split. */
    blend: z.union([z.literal('auto'), FixedBlendSchema]).default('auto'),
    ease: EaseSchema,
    /** Behaviour neighbour lists of similarProducts (item-similarity.ts). */
    similar: SimilarSchema,
    /** Try a small grid of EASE regularisations on the validation split. */
    tuneEase: z.boolean().default(true),
    /** Try a small grid of ALS regularisations on the validation split. */
    tuneAls: z.boolean().default(true),
    /** Run the temporal hold-out evaluation (model and baselines). */
    evaluate: z.boolean().default(true),
    /** Share of each user's latest interactions held out for evaluation (and tuning, inside the training part). */
    testFraction: z.number().min(0.05).max(0.5).default(0.2),
    /** Cap on users scored during evaluation and tuning (sampled deterministically). */
    maxEvalUsers: int(10, 100_000).default(2000),
    /** Half-life (days) of the "trending" popularity prior; absent: 1/8 of the data's time span (see trainRecommender). */
    trendingHalfLifeDays: z.number().positive().max(36_500).optional(),
    /** Seeds ALS initialisation and the evaluation samples. */
    seed: z.number().int().default(42),
  })
  .strict();

/** Hyperparameters as given: every key optional (`blend.ease` too). */
export type RecommenderHyperparameters = z.input<typeof RecommenderHyperparametersSchema>;
/** Blend given as a hyperparameter: `ease` may be left out (0), as before EASE existed. */
export type BlendInput = z.input<typeof FixedBlendSchema>;
/** Every key set but trendingHalfLifeDays (it depends on the data): what a model is trained with. */
export type ResolvedRecommenderHyperparameters = z.output<typeof RecommenderHyperparametersSchema>;

/** Applies the defaults; throws a ZodError when a value is out of range or a key unknown. */
export function resolveRecommenderHyperparameters(given: RecommenderHyperparameters = {}): ResolvedRecommenderHyperparameters {
  return RecommenderHyperparametersSchema.parse(given);
}

/** Signal settings with the defaults applied (the `signals` part of the hyperparameters), for ratings on `ratings`. */
export function resolveSignals(given: RecommenderHyperparameters['signals'] = {}, ratings: RatingScale = DEFAULT_RATING_SCALE): SignalConfig {
  const settings: SignalSettings = SignalsSchema.parse(given);
  return { ...settings, ratings };
}
