import type { Config } from '../config.ts';
import type { Logger } from '../logger.ts';
import type { Services } from '../app/services.ts';
import { QUEUES, type JobQueue, type ReclassifyMessage, type TrainingMessage } from './queue.ts';

/** Registers this process as a worker for every background queue. */
export async function startWorkers(queue: JobQueue, services: Services, logger: Logger, config: Pick<Config, 'TRAINING_MAX_ATTEMPTS'>): Promise<void> {
  const maxAttempts = config.TRAINING_MAX_ATTEMPTS;
  await queue.work<TrainingMessage>(QUEUES.training, (message) => services.models.training.runTrainingJob(message.trainingJobId, { maxAttempts }));
  await queue.work<ReclassifyMessage>(QUEUES.reclassify, async (message) => {
    const stored = await services.models.classification.predictFeedback(message.task, 'stale');
    logger.info({ task: message.task, stored }, 'feedback reclassified');
  });
  logger.info({ queues: Object.values(QUEUES) }, 'background workers started');
}
