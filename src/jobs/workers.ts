import type { Config } from '../config.ts';
import type { Logger } from '../logger.ts';
import type { Services } from '../app/services.ts';
import { heartbeatIntervalMs } from '../modules/models/training.service.ts';
import { QUEUES, type JobQueue, type ReclassifyMessage, type TrainingMessage } from './queue.ts';

/**
 * Registers this process as a worker for every background queue, and starts its share of the
 * training maintenance: every heartbeat interval it takes over RUNNING jobs whose worker stopped
 * writing heartbeats (see TrainingService.takeOverStaleJobs).
 */
export async function startWorkers(
  queue: JobQueue,
  services: Services,
  logger: Logger,
  config: Pick<Config, 'TRAINING_MAX_ATTEMPTS' | 'TRAINING_HEARTBEAT_STALE_SECONDS'>,
): Promise<void> {
  const policy = { maxAttempts: config.TRAINING_MAX_ATTEMPTS, heartbeatStaleSeconds: config.TRAINING_HEARTBEAT_STALE_SECONDS };
  await queue.work<TrainingMessage>(QUEUES.training, (message) => services.models.training.runTrainingJob(message.trainingJobId, policy));
  await queue.work<ReclassifyMessage>(QUEUES.reclassify, async (message) => {
    const stored = await services.models.classification.predictFeedback(message.task, 'stale');
    logger.info({ task: message.task, stored }, 'feedback reclassified');
  });
  queue.every(heartbeatIntervalMs(policy.heartbeatStaleSeconds), async () => {
    await services.models.training.takeOverStaleJobs(policy);
  });
  logger.info({ queues: Object.values(QUEUES) }, 'background workers started');
}
