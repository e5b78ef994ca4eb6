import { z } from 'zod';
import { InsufficientTrainingDataError, type LabelledText, type TextClassifierHyperparameters } from '../../../ml/classifier/index.ts';
import { ErrorCode, userInputError } from '../../../graphql/errors.ts';
import { TrainingInputError, type ModelTrainer } from './trainer.ts';
import { runTraining } from './training-thread.ts';

const HyperparametersSchema = z
  .object({
    epochs: z.number().int().min(1).max(200),
    learningRate: z.number().positive().max(10),
    batchSize: z.number().int().min(1).max(4096),
    maxFeatures: z.number().int().min(100).max(2_000_000),
    hidden: z.number().int().min(0).max(1024),
    l2: z.number().min(0).max(1),
    dropout: z.number().min(0).max(0.9),
    patience: z.number().int().min(0).max(50),
    seed: z.number().int(),
    validationFraction: z.number().min(0.05).max(0.4),
    testFraction: z.number().min(0.05).max(0.4),
    minExamplesPerClass: z.number().int().min(2).max(10_000),
  })
  .partial()
  .strict();

/** Trains a task's classifier from the human labels stored on feedback. */
export const textClassifierTrainer: ModelTrainer = {
  kind: 'TEXT_CLASSIFIER',

  validate(_task, hyperparameters) {
    const parsed = HyperparametersSchema.safeParse(hyperparameters);
    if (!parsed.success) {
      const issue = parsed.error.issues[0];
      throw userInputError(`hyperparameters.${issue?.path.join('.') || ''}: ${issue?.message}`, { argument: 'hyperparameters' });
    }
  },

  async train({ db, task, hyperparameters, onProgress, signal, thread }) {
    const hp = HyperparametersSchema.parse(hyperparameters) as TextClassifierHyperparameters;
    const rows = await db.$queryRaw<{ text: string; label: string }[]>`
      SELECT f.text, l.label FROM feedback_labels l JOIN feedback f ON f.id = l.feedback_id
      WHERE l.task = ${task}
      -- By content, not by the random UUID: the same labelled data gives the same split.
      ORDER BY f.text, l.label, f.id`;
    const examples: LabelledText[] = rows.map((row) => ({ text: row.text, label: row.label }));
    const counts = countLabels(examples);
    const minimum = hp.minExamplesPerClass ?? 10;
    const tooFew = [...counts].filter(([, count]) => count < minimum);
    if (counts.size < 2 || tooFew.length) {
      throw new TrainingInputError(
        ErrorCode.INSUFFICIENT_TRAINING_DATA,
        counts.size < 2
          ? `Task "${task}" needs labelled examples of at least 2 classes; found ${counts.size} (${[...counts.keys()].join(', ') || 'none'}).`
          : `Every class needs at least ${minimum} labelled examples; too few for ${tooFew.map(([label, count]) => `"${label}" (${count})`).join(', ')}.`,
      );
    }
    await onProgress({ stage: 'splitting data', fraction: 0.02 });
    // The thread does not wait for these writes: chained, they land in order.
    let chain: Promise<void> = Promise.resolve();
    let session;
    try {
      session = await runTraining(
        'TEXT_CLASSIFIER',
        { examples, hyperparameters: hp },
        {
          thread,
          signal,
          onProgress: (progress) => {
            const update = {
              stage: 'training',
              epoch: progress.epoch,
              epochs: progress.epochs,
              loss: progress.loss,
              validationLoss: progress.validationLoss,
              validationAccuracy: progress.validationAccuracy,
              fraction: Math.min(0.95, 0.05 + (0.9 * progress.epoch) / progress.epochs),
            };
            chain = chain.then(() => onProgress(update)).catch(() => undefined);
          },
        },
      );
    } catch (error) {
      if (error instanceof InsufficientTrainingDataError) throw new TrainingInputError(ErrorCode.INSUFFICIENT_TRAINING_DATA, error.message);
      throw error;
    } finally {
      await chain;
    }
    const result = session.output;
    try {
      await onProgress({ stage: 'storing', fraction: 0.97 });
    } catch (error) {
      session.dispose();
      throw error;
    }
    return {
      artifact: result.artifact,
      labels: result.labels,
      metrics: { ...result.metrics, epochsRun: result.epochsRun },
      dataStats: {
        examples: examples.length,
        perClass: Object.fromEntries(counts),
        split: result.split,
      },
      hyperparameters: result.hyperparameters as unknown as Record<string, unknown>,
      backend: result.backend,
      trainingSeconds: result.trainingSeconds,
      primaryMetric: { name: 'macroF1', value: result.metrics.macroF1 },
      thread: session.thread,
      // Runs where the model was trained: it holds this run's test split.
      evaluateArtifact: (artifact) => session.evaluate(artifact),
      dispose: () => session.dispose(),
    };
  },
};

function countLabels(examples: LabelledText[]): Map<string, number> {
  const counts = new Map<string, number>();
  for (const example of examples) counts.set(example.label, (counts.get(example.label) ?? 0) + 1);
  return counts;
}
