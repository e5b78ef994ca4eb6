import type { Logger } from '../logger.ts';
import type { Services } from '../services.ts';
import { QUEUES, type JobQueue, type ReclassifyMessage, type TrainingMessage } from './queue.ts';

/** Registers this process as a worker for every background queue. */
export async function startWorkers(queue: JobQueue, services: Services, logger: Logger, options: { trainingMaxAttempts: number }): Promise<void> {
  const maxAttempts = options.trainingMaxAttempts;
  await queue.work<TrainingMessage>(QUEUES.training, (message) => services.models.training.runTrainingJob(message.trainingJobId, { maxAttempts }));
  await queue.work<ReclassifyMessage>(QUEUES.reclassify, async (message) => {
    const stored = await services.models.classification.predictFeedback(message.task, 'stale');
    logger.info({ task: message.task, stored }, 'feedback reclassified');
  });
  logger.info({ queues: Object.values(QUEUES) }, 'background workers started');
}
