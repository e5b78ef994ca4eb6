/**
 * The CPU-bound part of training, for both kinds of model: plain data in, plain data out, no
 * database and no GraphQL. It runs on the training thread (training-worker.ts) or inline
 * (TRAINING_THREAD=main) through the same functions, so both paths train the same model.
 * Everything crossing the thread boundary is structured-clone data; big arrays are transferred.
 */
import {
  canonicalInteractions,
  evaluateOnHoldOut,
  InsufficientInteractionDataError,
  recommenderHoldOut,
  RecommenderModel,
  resolveRecommenderHyperparameters,
  trainRecommender,
  type BackendPreference,
  type InteractionInput,
  type InteractionKind,
  type ItemFeatureInput,
  type RecommenderHyperparameters,
  type TrainRecommenderResult,
  type TrainingProgress,
} from '../../../ml/recommender/index.ts';
import type { RatingScale } from '../../../ml/recommender/ratings.ts';
import {
  InsufficientTrainingDataError,
  loadTextClassifier,
  resolveTextClassifierHyperparameters,
  textClassifierSplit,
  trainTextClassifier,
  type EpochProgress,
  type LabelledText,
  type TextClassifierHyperparameters,
  type TrainResult,
} from '../../../ml/classifier/index.ts';
import { classificationMetrics } from '../../../ml/shared/classification-metrics.ts';

/**
 * Interactions as columns of typed arrays: transferred to the thread without a copy, and without
 * the main thread serialising one object per interaction.
 */
export interface PackedInteractions {
  user: Int32Array;
  item: Int32Array;
  /** Index into INTERACTION_KINDS. */
  type: Uint8Array;
  value: Float64Array;
  /** 1 where value is null (a stored NaN stays NaN). */
  valueIsNull: Uint8Array;
  /** Epoch milliseconds. */
  occurredAt: Float64Array;
}

const INTERACTION_KINDS: readonly InteractionKind[] = ['VIEW', 'CLICK', 'ADD_TO_CART', 'PURCHASE', 'RATING'];
const KIND_CODE = new Map(INTERACTION_KINDS.map((kind, code) => [kind, code]));

export function packInteractions(interactions: readonly InteractionInput[]): PackedInteractions {
  const n = interactions.length;
  const packed: PackedInteractions = {
    user: new Int32Array(n),
    item: new Int32Array(n),
    type: new Uint8Array(n),
    value: new Float64Array(n),
    valueIsNull: new Uint8Array(n),
    occurredAt: new Float64Array(n),
  };
  for (let i = 0; i < n; i++) {
    const it = interactions[i];
    packed.user[i] = it.user;
    packed.item[i] = it.item;
    const code = KIND_CODE.get(it.type);
    if (code === undefined) throw new RangeError(`unknown interaction type ${String(it.type)}`);
    packed.type[i] = code;
    if (it.value === null || it.value === undefined) packed.valueIsNull[i] = 1;
    else packed.value[i] = it.value;
    packed.occurredAt[i] = typeof it.occurredAt === 'number' ? it.occurredAt : it.occurredAt.getTime();
  }
  return packed;
}

export function unpackInteractions(packed: PackedInteractions): InteractionInput[] {
  const out = new Array<InteractionInput>(packed.user.length);
  for (let i = 0; i < out.length; i++) {
    out[i] = {
      user: packed.user[i],
      item: packed.item[i],
      type: INTERACTION_KINDS[packed.type[i]],
      value: packed.valueIsNull[i] ? null : packed.value[i],
      occurredAt: packed.occurredAt[i],
    };
  }
  return out;
}

export interface RecommenderComputeInput {
  userIds: string[];
  productIds: string[];
  items: ItemFeatureInput[];
  interactions: PackedInteractions;
  hyperparameters: RecommenderHyperparameters;
  /** The scale of the RATING values (the configured one). */
  ratingScale: RatingScale;
}

/**
 * trainRecommender's result with the model replaced by its serialised bytes and the few facts
 * read from it afterwards. The rest (metrics, tuning, chosen, ...) passes through as it is, so
 * fields the core adds later reach the trainer without changes here.
 */
export type RecommenderComputeOutput = Omit<TrainRecommenderResult, 'model'> & {
  artifact: Uint8Array;
  model: { knnK: number; trendingHalfLifeDays: number; arrayBytes: number };
};

export interface TextClassifierComputeInput {
  /** In any order: textClassifierSplit orders them by content, so the same labelled data gives the same split. */
  examples: LabelledText[];
  hyperparameters: TextClassifierHyperparameters;
}

export type TextClassifierComputeOutput = TrainResult;

/** What each kind of training takes, reports while it runs and returns. */
export interface ComputeTasks {
  RECOMMENDER: { input: RecommenderComputeInput; progress: TrainingProgress; output: RecommenderComputeOutput };
  TEXT_CLASSIFIER: { input: TextClassifierComputeInput; progress: EpochProgress; output: TextClassifierComputeOutput };
}
export type ComputeKind = keyof ComputeTasks;

/** A finished training that still holds this run's test split, to score earlier versions on it. */
export interface ComputeSession<Output> {
  output: Output;
  /** Scores another stored version on this run's test split with the metric AUTO activation compares. */
  evaluate(artifact: Uint8Array): Promise<number | null>;
}

export interface ComputeOptions {
  signal?: AbortSignal;
  /** TFJS_BACKEND, for a thread that starts TensorFlow.js itself. */
  backend?: BackendPreference;
}

export type ComputeFunction<K extends ComputeKind> = (
  input: ComputeTasks[K]['input'],
  onProgress: (progress: ComputeTasks[K]['progress']) => void,
  options?: ComputeOptions,
) => Promise<ComputeSession<ComputeTasks[K]['output']>>;

async function computeRecommender(
  input: RecommenderComputeInput,
  onProgress: (progress: TrainingProgress) => void,
  options: ComputeOptions = {},
): Promise<ComputeSession<RecommenderComputeOutput>> {
  const hp = resolveRecommenderHyperparameters(input.hyperparameters);
  // Sorted once here: training and the hold-out of evaluate() then find them in content order.
  const interactions = canonicalInteractions(unpackInteractions(input.interactions));
  const data = {
    userCount: input.userIds.length,
    itemCount: input.productIds.length,
    interactions,
    items: input.items,
    ids: { users: input.userIds, items: input.productIds },
    ratingScale: input.ratingScale,
  };
  const result = await trainRecommender(data, hp, { onProgress, backend: options.backend });
  const { model, ...rest } = result;
  const output: RecommenderComputeOutput = {
    ...rest,
    artifact: model.serialize(),
    model: { knnK: model.header.knnK, trendingHalfLifeDays: model.header.trendingHalfLifeDays, arrayBytes: model.arrayBytes },
  };
  const { metrics, chosen } = result;
  return {
    output,
    async evaluate(previousArtifact) {
      if (!metrics) return null;
      // This run's hold-out, made by the function trainRecommender evaluated on.
      const hold = recommenderHoldOut(data, hp, chosen.signals);
      return evaluateOnHoldOut(RecommenderModel.deserialize(previousArtifact), hold, input.productIds)?.ndcgAt10 ?? null;
    },
  };
}

async function computeTextClassifier(
  input: TextClassifierComputeInput,
  onProgress: (progress: EpochProgress) => void,
  options: ComputeOptions = {},
): Promise<ComputeSession<TextClassifierComputeOutput>> {
  const hp = resolveTextClassifierHyperparameters(input.hyperparameters);
  // The split training makes, kept here to score earlier versions on its test part.
  const split = textClassifierSplit(input.examples, hp);
  const output = await trainTextClassifier(input.examples, hp, { split, onEpoch: onProgress, signal: options.signal, backend: options.backend });
  return {
    output,
    async evaluate(artifact) {
      const previous = await loadTextClassifier(artifact, { backend: options.backend });
      try {
        const predictions = previous.predict(split.test.map((example) => example.text));
        return classificationMetrics(
          split.test.map((example) => example.label),
          predictions.map((prediction) => prediction.label),
        ).macroF1;
      } finally {
        previous.dispose();
      }
    },
  };
}

export const COMPUTE: { [K in ComputeKind]: ComputeFunction<K> } = {
  RECOMMENDER: computeRecommender,
  TEXT_CLASSIFIER: computeTextClassifier,
};

/** Buffers of a training input that can move to the thread instead of being copied. */
export function inputTransferList<K extends ComputeKind>(kind: K, input: ComputeTasks[K]['input']): ArrayBuffer[] {
  if (kind !== 'RECOMMENDER') return [];
  const { interactions } = input as RecommenderComputeInput;
  return exclusiveBuffers(Object.values(interactions));
}

/**
 * Makes the output's artifact the sole view of its buffer (a copy only when it shares one) and
 * returns that buffer, to transfer back instead of copying.
 */
export function outputTransferList(output: { artifact: Uint8Array }): ArrayBuffer[] {
  let artifact = output.artifact;
  if (!isExclusive(artifact)) output.artifact = artifact = artifact.slice();
  return [artifact.buffer as ArrayBuffer];
}

function isExclusive(view: ArrayBufferView): boolean {
  return view.buffer instanceof ArrayBuffer && view.byteOffset === 0 && view.byteLength === view.buffer.byteLength;
}

function exclusiveBuffers(views: ArrayBufferView[]): ArrayBuffer[] {
  const buffers = new Set<ArrayBuffer>();
  for (const view of views) if (isExclusive(view)) buffers.add(view.buffer as ArrayBuffer);
  return [...buffers];
}

/** An error as it crosses the thread boundary: the class name keeps its meaning. */
export interface SerializedError {
  name: string;
  message: string;
  stack?: string;
  /** InsufficientTrainingDataError's classes. */
  classes?: { label: string; count: number }[];
}

export function serializeError(error: unknown): SerializedError {
  if (!(error instanceof Error)) return { name: 'Error', message: String(error) };
  const name = error.name && error.name !== 'Error' ? error.name : error.constructor?.name || 'Error';
  const serialized: SerializedError = { name, message: error.message, stack: error.stack };
  if (error instanceof InsufficientTrainingDataError) serialized.classes = error.classes.map((c) => ({ ...c }));
  return serialized;
}

/** The error the same failure would have thrown inline: trainers keep their instanceof checks. */
export function reviveError(serialized: SerializedError): Error {
  let error: Error;
  if (serialized.name === 'InsufficientInteractionDataError') error = new InsufficientInteractionDataError(serialized.message);
  else if (serialized.name === 'InsufficientTrainingDataError') error = new InsufficientTrainingDataError(serialized.message, serialized.classes ?? []);
  else {
    error = new Error(serialized.message);
    error.name = serialized.name;
  }
  if (serialized.stack) error.stack = `${serialized.stack}\n    -- on the training thread`;
  return error;
}
