import type { Db } from '../../../db/prisma.ts';
import type { ModelKind } from '../../../generated/prisma/client.ts';
import type { TrainingThreadMode } from './training-thread.ts';

export interface TrainingProgressUpdate {
  stage: string;
  epoch?: number;
  epochs?: number;
  loss?: number;
  validationLoss?: number;
  validationAccuracy?: number;
  fraction: number;
}

export interface TrainedModel {
  artifact: Uint8Array;
  labels: string[];
  metrics: Record<string, unknown>;
  dataStats: Record<string, unknown>;
  hyperparameters: Record<string, unknown>;
  backend: string;
  trainingSeconds: number;
  /** The metric AUTO activation compares (higher is better). */
  primaryMetric: { name: string; value: number };
  /**
   * Scores another stored version on this run's test split with the same metric, so the
   * activation decision compares like with like. Null when the artefact cannot be read.
   */
  evaluateArtifact(artifact: Uint8Array): Promise<number | null>;
  /** Where the compute ran: a training thread of its own, or the caller's thread. */
  thread?: TrainingThreadMode;
  /** Releases what evaluateArtifact holds (the training thread); call once the version is stored. */
  dispose?(): void;
}

/** Trains one kind of model from the data in the database. Plain ML lives in src/ml. */
export interface ModelTrainer {
  kind: ModelKind;
  /** Validates a task name and hyperparameters before a job is queued; throws a GraphQL error. */
  validate(task: string, hyperparameters: Record<string, unknown>): void;
  train(input: {
    db: Db;
    task: string;
    hyperparameters: Record<string, unknown>;
    onProgress: (update: TrainingProgressUpdate) => Promise<void>;
    signal?: AbortSignal;
    /** TRAINING_THREAD: 'worker' (default) runs the compute off the caller's event loop. */
    thread?: TrainingThreadMode;
  }): Promise<TrainedModel>;
}

/** A training failure the user can act on (too little data, ...): reported with its code. */
export class TrainingInputError extends Error {
  constructor(
    readonly code: string,
    message: string,
  ) {
    super(message);
  }
}
