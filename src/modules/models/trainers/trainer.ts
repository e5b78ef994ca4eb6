import type { z } from 'zod';
import type { Db } from '../../../db/prisma.ts';
import type { ModelKind } from '../../../generated/prisma/client.ts';
import { userInputError } from '../../../graphql/errors.ts';
import type { BackendPreference } from '../../../ml/shared/backend.ts';
import { describeFirstIssue } from '../../common/zod-issues.ts';

/** TRAINING_THREAD: where a job's compute runs (its default is config.ts's). */
export type TrainingThreadMode = 'worker' | 'main';

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
  /**
   * The users whose feedback was in the training data (distinct ids), recorded with the version
   * so eraseUser finds it. Undefined for kinds that train on no one's text (recommenders).
   */
  trainedOnUserIds?: readonly string[];
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
  /**
   * Validates a task name and hyperparameters before a job is queued; throws a GraphQL error.
   * Returns the hyperparameters resolved (defaults filled in): identical requests are found by them.
   */
  validate(task: string, hyperparameters: Record<string, unknown>): Record<string, unknown>;
  train(input: {
    db: Db;
    task: string;
    hyperparameters: Record<string, unknown>;
    onProgress: (update: TrainingProgressUpdate) => Promise<void>;
    signal?: AbortSignal;
    /** TRAINING_THREAD: 'worker' runs the compute off the caller's event loop. */
    thread?: TrainingThreadMode;
    /** TFJS_BACKEND, for the training thread's own TensorFlow.js. */
    backend?: BackendPreference;
  }): Promise<TrainedModel>;
}

/**
 * trainModel's hyperparameters, checked with the ML core's own schema and with its defaults
 * applied. The first problem becomes BAD_USER_INPUT naming the key, e.g.
 * "hyperparameters.epoch: unknown key".
 */
export function parseHyperparameters<S extends z.ZodType>(schema: S, hyperparameters: Record<string, unknown>): z.output<S> {
  const parsed = schema.safeParse(hyperparameters);
  if (!parsed.success) throw userInputError(describeFirstIssue(parsed.error, 'hyperparameters').message, { argument: 'hyperparameters' });
  return parsed.data;
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
