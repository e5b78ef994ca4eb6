import { MAX_LABELS_PER_TASK } from '../../common/task-name.ts';
import { InsufficientTrainingDataError, TextClassifierHyperparametersSchema, type LabelledText } from '../../../ml/classifier/index.ts';
import { ErrorCode } from '../../../graphql/errors.ts';
import { parseHyperparameters, TrainingInputError, type ModelTrainer } from './trainer.ts';
import { runTrainingWithProgress } from './training-thread.ts';

/** Trains a task's classifier from the human labels stored on feedback. */
export const textClassifierTrainer: ModelTrainer = {
  kind: 'TEXT_CLASSIFIER',

  validate(_task, hyperparameters) {
    return parseHyperparameters(TextClassifierHyperparametersSchema, hyperparameters);
  },

  async train({ db, task, hyperparameters, onProgress, signal, thread, backend }) {
    const hp = parseHyperparameters(TextClassifierHyperparametersSchema, hyperparameters);
    // With the author of each text: the version records whom it was trained on (eraseUser).
    const rows = await db.$queryRaw<{ text: string; label: string; userId: string | null }[]>`
      SELECT f.text, l.label, f.user_id::text AS "userId" FROM feedback_labels l JOIN feedback f ON f.id = l.feedback_id
      WHERE l.task = ${task}`;
    // In any order: the core orders the examples by content before it splits them (the same
    // labelled data gives the same split in any database, whatever its collation).
    const examples: LabelledText[] = rows.map((row) => ({ text: row.text, label: row.label }));
    const trainedOnUserIds = [...new Set(rows.flatMap((row) => (row.userId ? [row.userId] : [])))];
    const counts = countLabels(examples);
    const minimum = hp.minExamplesPerClass;
    const tooFew = [...counts].filter(([, count]) => count < minimum);
    if (counts.size > MAX_LABELS_PER_TASK) {
      throw new TrainingInputError(
        ErrorCode.BAD_USER_INPUT,
        `Task "${task}" has ${counts.size} distinct labels; a classifier distinguishes at most ${MAX_LABELS_PER_TASK}. Merge or remove labels first.`,
      );
    }
    if (counts.size < 2 || tooFew.length) {
      throw new TrainingInputError(
        ErrorCode.INSUFFICIENT_TRAINING_DATA,
        counts.size < 2
          ? `Task "${task}" needs labelled examples of at least 2 classes; found ${counts.size} (${[...counts.keys()].join(', ') || 'none'}).`
          : `Every class needs at least ${minimum} labelled examples; too few for ${tooFew.map(([label, count]) => `"${label}" (${count})`).join(', ')}.`,
      );
    }
    await onProgress({ stage: 'splitting data', fraction: 0.02 });
    let session;
    try {
      session = await runTrainingWithProgress(
        'TEXT_CLASSIFIER',
        { examples, hyperparameters: hp },
        {
          thread,
          signal,
          backend,
          onProgress,
          toUpdate: (progress) => ({
            stage: 'training',
            epoch: progress.epoch,
            epochs: progress.epochs,
            loss: progress.loss,
            validationLoss: progress.validationLoss,
            validationAccuracy: progress.validationAccuracy,
            fraction: Math.min(0.95, 0.05 + (0.9 * progress.epoch) / progress.epochs),
          }),
        },
      );
    } catch (error) {
      if (error instanceof InsufficientTrainingDataError) throw new TrainingInputError(ErrorCode.INSUFFICIENT_TRAINING_DATA, error.message);
      throw error;
    }
    const result = session.output;
    return {
      artifact: result.artifact,
      labels: result.labels,
      metrics: { ...result.metrics, epochsRun: result.epochsRun },
      dataStats: {
        examples: examples.length,
        perClass: Object.fromEntries(counts),
        split: result.split,
      },
      // Resolved by the core: every key with the value the model was trained with.
      hyperparameters: { ...result.hyperparameters },
      backend: result.backend,
      trainingSeconds: result.trainingSeconds,
      trainedOnUserIds,
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
