export {
  trainTextClassifier,
  loadTextClassifier,
  InsufficientTrainingDataError,
  DEFAULT_HYPERPARAMETERS,
  type LabelledText,
  type TextClassifierHyperparameters,
  type EpochProgress,
  type TrainResult,
  type TrainOptions,
  type Prediction,
  type TextClassifier,
  type ClassificationMetrics,
} from './text-classifier.js';
