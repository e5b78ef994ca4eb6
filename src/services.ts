import type { Config } from './config.ts';
import type { Db } from './db/prisma.ts';
import type { JobQueue } from './jobs/queue.ts';
import { createLogger, type Logger } from './logger.ts';
import { createModelServices } from './modules/models/models.module.ts';
import { UsersService } from './modules/users/users.service.ts';
import { InteractionsService } from './modules/interactions/interactions.service.ts';
import { FeedbackService } from './modules/feedback/feedback.service.ts';
import { ProductsService } from './modules/products/products.service.ts';
import { CampaignsService } from './modules/campaigns/campaigns.service.ts';

/** Long-lived, stateless services; one set per process. */
export interface ServiceRuntime {
  logger?: Logger;
  /** The job queue, once started; null where no queue runs (e.g. a one-off seed script). */
  queue?: () => JobQueue | null;
}

export function createServices(db: Db, config: Pick<Config, 'MAX_BATCH_SIZE' | 'MAX_PAGE_SIZE'>, runtime: ServiceRuntime = {}) {
  const logger = runtime.logger ?? createLogger('silent');
  const models = createModelServices(db, { logger, queue: runtime.queue ?? (() => null) });
  const limits = { maxBatchSize: config.MAX_BATCH_SIZE, maxPageSize: config.MAX_PAGE_SIZE };
  return {
    limits,
    models,
    users: new UsersService(db, limits),
    interactions: new InteractionsService(db, limits),
    // New feedback is classified in the background by every active text classifier.
    feedback: new FeedbackService(db, limits, () => {
      models.classification.classifyNewFeedback().catch((error: unknown) => logger.error({ err: error }, 'classifying new feedback failed'));
    }),
    products: new ProductsService(db, limits),
    campaigns: new CampaignsService(db, limits),
  };
}
export type Services = ReturnType<typeof createServices>;
