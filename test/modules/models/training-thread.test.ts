import { describe, expect, it } from 'vitest';
import { InsufficientTrainingDataError, loadTextClassifier, type EpochProgress } from '../../../src/ml/classifier/index.ts';
import { InsufficientInteractionDataError, RecommenderModel, type TrainingProgress } from '../../../src/ml/recommender/index.ts';
import { createRandom } from '../../../src/ml/shared/random.ts';
import { DEFAULT_RATING_SCALE } from '../../../src/ml/recommender/ratings.ts';
import { generateSyntheticBehaviour } from '../../../src/ml/synthetic/behaviour.ts';
import { syntheticToTrainingData } from '../../../src/ml/synthetic/training-data.ts';
import { generateFeedbackText } from '../../../src/seed/feedback-text.ts';
import {
  packInteractions,
  unpackInteractions,
  type RecommenderComputeInput,
  type RecommenderComputeOutput,
  type TextClassifierComputeInput,
} from '../../../src/modules/models/trainers/training-compute.ts';
import type { TrainingThreadMode } from '../../../src/modules/models/trainers/trainer.ts';
import { runTraining, type TrainingSession } from '../../../src/modules/models/trainers/training-thread.ts';

// The compute of a training job on its own thread (TRAINING_THREAD=worker), compared with the
// inline path (main); the trainers' database side is covered by training-thread.e2e.test.ts.

function recommenderInput(size: { users: number; products: number; interactions: number }): RecommenderComputeInput {
  const data = syntheticToTrainingData(generateSyntheticBehaviour({ ...size, seed: 5 }));
  return {
    userIds: [...data.ids!.users],
    productIds: [...data.ids!.items],
    items: data.items!.map((item) => ({ ...item! })),
    interactions: packInteractions(data.interactions),
    hyperparameters: { tuneAls: false, als: { factors: 8, iterations: 4 }, neighbours: 20, seed: 3 },
    ratingScale: DEFAULT_RATING_SCALE,
  };
}

function labelledTexts(count: number, seed: number): { text: string; label: string }[] {
  const random = createRandom(seed);
  return Array.from({ length: count }, (_, i) => {
    const row = generateFeedbackText(random, { productName: ['kettle', 'lamp'][i % 2] });
    return { text: row.text, label: row.sentiment };
  });
}

function classifierInput(hyperparameters: TextClassifierComputeInput['hyperparameters'] = {}): TextClassifierComputeInput {
  const examples = labelledTexts(240, 3);
  examples.sort((a, b) => (a.text < b.text ? -1 : a.text > b.text ? 1 : 0));
  return { examples, hyperparameters: { epochs: 4, ...hyperparameters } };
}

const FAILING_WORKER = new URL('./fixtures/failing-training-worker.mjs', import.meta.url);

describe('packed interactions', () => {
  it('round-trip every field, null values included', () => {
    const rows = [
      { user: 0, item: 3, type: 'VIEW' as const, value: null, occurredAt: 1_700_000_000_000 },
      { user: 2, item: 1, type: 'RATING' as const, value: 4.5, occurredAt: new Date(1_700_000_100_000) },
      { user: 1, item: 0, type: 'PURCHASE' as const, value: 0, occurredAt: 1_700_000_200_000 },
    ];
    expect(unpackInteractions(packInteractions(rows))).toEqual([
      { user: 0, item: 3, type: 'VIEW', value: null, occurredAt: 1_700_000_000_000 },
      { user: 2, item: 1, type: 'RATING', value: 4.5, occurredAt: 1_700_000_100_000 },
      { user: 1, item: 0, type: 'PURCHASE', value: 0, occurredAt: 1_700_000_200_000 },
    ]);
  });
});

describe('training on a worker thread', () => {
  it('trains a recommender on the thread like inline: same metrics and choices, a working artifact, progress with ALS loss', async () => {
    const size = { users: 300, products: 150, interactions: 3000 };
    const runs = {} as Record<TrainingThreadMode, { progress: TrainingProgress[]; session: TrainingSession<RecommenderComputeOutput> }>;
    for (const thread of ['worker', 'main'] as const) {
      const progress: TrainingProgress[] = [];
      const session = await runTraining('RECOMMENDER', recommenderInput(size), { thread, onProgress: (p) => progress.push(p) });
      runs[thread] = { progress, session };
    }
    const { session, progress } = runs.worker;
    try {
      expect(session.thread).toBe('worker');
      const { output } = session;
      expect(output.metrics).not.toBeNull();
      expect(output.metrics).toEqual(runs.main.session.output.metrics);
      expect(output.chosen).toEqual(runs.main.session.output.chosen);
      expect(output.featureReport).toEqual(runs.main.session.output.featureReport);
      expect(output.model).toEqual(runs.main.session.output.model);
      expect(output.model.knnK).toBe(20);
      // The thread initialised TensorFlow.js itself (its wasm files included) and says which backend.
      expect(['tensorflow', 'wasm', 'cpu']).toContain(output.backend);
      if (!process.env.TFJS_BACKEND) expect(output.backend).not.toBe('cpu');

      // Transferred, not copied: the bytes arrive as the sole view of their own buffer.
      expect(output.artifact).toBeInstanceOf(Uint8Array);
      expect(output.artifact.byteLength).toBe(output.artifact.buffer.byteLength);
      const model = RecommenderModel.deserialize(output.artifact);
      expect(model.header.itemCount).toBe(size.products);

      // The final ALS fit's epochs 1..4 in order, each with its loss (a start marker may precede them).
      const als = progress.filter((p) => p.stage === 'als');
      const iterations = als.map((p) => p.iteration!);
      expect(iterations).toEqual([...new Set(iterations)].sort((a, b) => a - b));
      const epochs = als.filter((p) => p.iteration! >= 1);
      expect(epochs.map((p) => p.iteration)).toEqual([1, 2, 3, 4]);
      for (const p of epochs) expect(Number.isFinite(p.loss)).toBe(true);
      expect(progress.map((p) => p.stage)).toEqual(runs.main.progress.map((p) => p.stage));

      // The previous version is scored on the thread, on this run's split, as inline.
      const previous = runs.main.session.output.artifact;
      const onThread = await session.evaluate(previous);
      expect(onThread).toBeGreaterThan(0);
      expect(onThread).toBe(await runs.main.session.evaluate(previous));
      expect(previous.byteLength).toBeGreaterThan(0); // cloned, not taken from the caller
    } finally {
      session.dispose();
    }
    await expect(session.evaluate(runs.main.session.output.artifact)).rejects.toThrow(/closed/);
  }, 120_000);

  it('trains a text classifier on the thread; the artifact serves and the test split scores it', async () => {
    const epochs: EpochProgress[] = [];
    const session = await runTraining('TEXT_CLASSIFIER', classifierInput(), { thread: 'worker', onProgress: (p) => epochs.push(p) });
    try {
      const { output } = session;
      expect(['tensorflow', 'wasm', 'cpu']).toContain(output.backend);
      if (!process.env.TFJS_BACKEND) expect(output.backend).not.toBe('cpu');
      expect(output.labels.sort()).toEqual(['negative', 'positive']);
      expect(output.metrics.accuracy).toBeGreaterThan(0.8);
      expect(epochs.length).toBe(output.epochsRun);
      expect(epochs.map((p) => p.epoch)).toEqual(Array.from({ length: output.epochsRun }, (_, i) => i + 1));
      for (const p of epochs) expect(p.loss).toBeGreaterThan(0);

      const served = await loadTextClassifier(output.artifact);
      const heldOut = labelledTexts(60, 99);
      const predicted = served.predict(heldOut.map((row) => row.text));
      expect(predicted.filter((p, i) => p.label === heldOut[i].label).length / heldOut.length).toBeGreaterThan(0.8);
      served.dispose();
      const score = await session.evaluate(output.artifact);
      expect(score).toBeCloseTo(output.metrics.macroF1, 1);
    } finally {
      session.dispose();
    }
  }, 120_000);

  it('keeps the meaning of insufficient-data errors thrown on the thread', async () => {
    const tiny = recommenderInput({ users: 300, products: 150, interactions: 3000 });
    tiny.interactions = packInteractions(unpackInteractions(tiny.interactions).slice(0, 5));
    const recommender = runTraining('RECOMMENDER', tiny, { thread: 'worker', onProgress: () => undefined });
    await expect(recommender).rejects.toBeInstanceOf(InsufficientInteractionDataError);
    await expect(recommender).rejects.toThrow(/need at least 20 interactions/);

    // Enough examples overall, too few in the training split once validation and test are set aside.
    const input = classifierInput();
    const byLabel = (label: string) => input.examples.filter((example) => example.label === label).slice(0, 10);
    input.examples = [...byLabel('negative'), ...byLabel('positive')];
    const classifier = runTraining('TEXT_CLASSIFIER', input, { thread: 'worker', onProgress: () => undefined });
    await expect(classifier).rejects.toBeInstanceOf(InsufficientTrainingDataError);
    const error = (await classifier.catch((e: unknown) => e)) as InsufficientTrainingDataError;
    expect(error.message).toMatch(/need at least 10 examples per class/);
    expect(error.classes.length).toBeGreaterThan(0);
    expect(error.stack).toMatch(/on the training thread/);
  }, 60_000);

  it('fails clearly when the thread exits or throws before it answers', async () => {
    const input = (failure: string) => ({ ...classifierInput(), failure }) as TextClassifierComputeInput;
    await expect(runTraining('TEXT_CLASSIFIER', input('exit'), { entry: FAILING_WORKER, onProgress: () => undefined })).rejects.toThrow(
      /training thread stopped with exit code 3 before it finished/,
    );
    await expect(runTraining('TEXT_CLASSIFIER', input('throw'), { entry: FAILING_WORKER, onProgress: () => undefined })).rejects.toThrow(
      /training thread failed: boom on the training thread/,
    );
  });

  it('terminates the thread when the job is aborted', async () => {
    const controller = new AbortController();
    let after = 0;
    const started = Date.now();
    const run = runTraining('TEXT_CLASSIFIER', classifierInput({ epochs: 200, batchSize: 1, patience: 200 }), {
      thread: 'worker',
      signal: controller.signal,
      onProgress: () => {
        if (controller.signal.aborted) after += 1;
        controller.abort();
      },
    });
    await expect(run).rejects.toMatchObject({ name: 'AbortError' });
    // 200 epochs of one-example batches take minutes; the abort ends it at the first epoch.
    expect(Date.now() - started).toBeLessThan(30_000);
    await new Promise((resolve) => setTimeout(resolve, 300));
    expect(after).toBe(0);

    const aborted = AbortSignal.abort();
    await expect(runTraining('TEXT_CLASSIFIER', classifierInput(), { signal: aborted, onProgress: () => undefined })).rejects.toMatchObject({ name: 'AbortError' });
  }, 60_000);
});
