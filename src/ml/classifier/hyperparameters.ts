/**
 * The text classifier's hyperparameters: every key trainTextClassifier reads, its range and
 * its default, defined once here next to the algorithm (trainModel validates with exactly this
 * schema; see docs/classifier.md). Unknown keys are refused.
 */
import { z } from 'zod';

const int = (min: number, max: number) => z.number().int().min(min).max(max);

export const TextClassifierHyperparametersSchema = z
  .object({
    /** Maximum passes over the training split (early stopping usually ends sooner). */
    epochs: int(1, 200).default(12),
    /** Adam step size. */
    learningRate: z.number().positive().max(10).default(0.01),
    batchSize: int(1, 4096).default(32),
    /** Vocabulary cap (most document-frequent features kept). */
    maxFeatures: int(100, 2_000_000).default(200_000),
    /** Hidden ReLU units; 0 = linear softmax (the default, see docs/classifier.md). */
    hidden: int(0, 1024).default(0),
    /** L2 penalty on weights. */
    l2: z.number().min(0).max(1).default(1e-5),
    /** Dropout on the hidden layer (ignored when hidden = 0). */
    dropout: z.number().min(0).max(0.9).default(0.3),
    /** Epochs without validation-loss improvement before stopping (≥ epochs: never stop early). */
    patience: int(0, 200).default(2),
    /** Seeds the split, the shuffles and the weight initialisation. */
    seed: z.number().int().default(42),
    /** Share of each class held out for early stopping. */
    validationFraction: z.number().min(0.05).max(0.4).default(0.1),
    /** Share of each class held out for the reported metrics (and AUTO activation). */
    testFraction: z.number().min(0.05).max(0.4).default(0.1),
    /** Training is refused when a class has fewer labelled examples. */
    minExamplesPerClass: int(2, 10_000).default(10),
    /** Features must occur in at least this many training texts. */
    minDf: int(1, 1000).default(2),
    /** Scale features by naive-Bayes log-count ratios (NBSVM-style prior; linear model only). */
    nbScale: z.boolean().default(true),
  })
  .strict();

/** Hyperparameters as given: every key optional. */
export type TextClassifierHyperparameters = z.input<typeof TextClassifierHyperparametersSchema>;
/** Every key set: what a model is trained and stored with. */
export type ResolvedTextClassifierHyperparameters = z.output<typeof TextClassifierHyperparametersSchema>;

/** Applies the defaults (keys given as undefined count as absent); throws a ZodError when a value is out of range. */
export function resolveTextClassifierHyperparameters(given: TextClassifierHyperparameters = {}): ResolvedTextClassifierHyperparameters {
  return TextClassifierHyperparametersSchema.parse(given);
}

export const DEFAULT_HYPERPARAMETERS: Readonly<ResolvedTextClassifierHyperparameters> = Object.freeze(resolveTextClassifierHyperparameters());
