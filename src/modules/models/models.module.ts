import type { Db } from '../../db/prisma.ts';
import type { JobQueue } from '../../jobs/queue.ts';
import type { Logger } from '../../logger.ts';
import { loadTextClassifier, type BackendPreference, type TextClassifier } from '../../ml/classifier/index.ts';
import type { RatingScale } from '../../ml/recommender/ratings.ts';
import { ActiveModelCache } from './active-model-cache.ts';
import { ClassificationService } from './classification.service.ts';
import { ModelErasureService } from './model-erasure.service.ts';
import { ModelRegistry } from './registry.service.ts';
import { TrainingService, type TrainingQueuePolicy } from './training.service.ts';
import { textClassifierTrainer } from './trainers/text-classifier.trainer.ts';
import { createRecommenderTrainer } from './trainers/recommender.trainer.ts';
import type { TrainingThreadMode } from './trainers/trainer.ts';

/** The model registry, training and serving services, sharing one registry and model cache. */
export function createModelServices(
  db: Db,
  runtime: {
    logger: Logger;
    queue: () => JobQueue | null;
    trainingThread: TrainingThreadMode;
    tfjsBackend: BackendPreference;
    trainingQueue: TrainingQueuePolicy;
    /** The configured scale of RATING values: recommenders are trained on it. */
    ratingScale: RatingScale;
  },
) {
  const registry = new ModelRegistry(db);
  const classifiers = new ActiveModelCache<TextClassifier>(
    registry,
    'TEXT_CLASSIFIER',
    (artifact) => loadTextClassifier(artifact, { backend: runtime.tfjsBackend }),
    (model) => model.dispose(),
  );
  const training = new TrainingService(
    db,
    registry,
    [textClassifierTrainer, createRecommenderTrainer(runtime.ratingScale)],
    runtime.queue,
    runtime.logger,
    runtime.trainingThread,
    runtime.tfjsBackend,
    runtime.trainingQueue,
  );
  return {
    registry,
    training,
    erasure: new ModelErasureService(training, runtime.logger),
    classification: new ClassificationService(db, classifiers, runtime.logger),
    queue: runtime.queue,
  };
}
export type ModelServices = ReturnType<typeof createModelServices>;
