export {
  trainTextClassifier,
  loadTextClassifier,
  textClassifierSplit,
  InsufficientTrainingDataError,
  type LabelledText,
  type EpochProgress,
  type TrainResult,
  type TrainOptions,
  type Prediction,
  type TextClassifier,
  type ClassificationMetrics,
} from './text-classifier.js';
export {
  TextClassifierHyperparametersSchema,
  resolveTextClassifierHyperparameters,
  DEFAULT_HYPERPARAMETERS,
  type TextClassifierHyperparameters,
  type ResolvedTextClassifierHyperparameters,
} from './hyperparameters.js';
export type { BackendPreference } from '../shared/backend.js';
