import type { Config } from '../config.ts';
import type { Db } from '../db/prisma.ts';
import type { JobQueue } from '../jobs/queue.ts';
import { createLogger, type Logger } from '../logger.ts';
import { createModelServices } from '../modules/models/models.module.ts';
import { UsersService } from '../modules/users/users.service.ts';
import { InteractionsService } from '../modules/interactions/interactions.service.ts';
import { FeedbackService } from '../modules/feedback/feedback.service.ts';
import { ProductsService } from '../modules/products/products.service.ts';
import { CampaignsService } from '../modules/campaigns/campaigns.service.ts';
import { RecommendationService } from '../modules/recommendations/recommendations.service.ts';
import { AnalyticsService } from '../modules/analytics/analytics.service.ts';
import { ApiKeysService } from '../modules/access/api-keys.service.ts';
import { AuditService } from '../modules/access/audit.service.ts';
import { fieldCipherFromConfig } from '../privacy/field-crypto.ts';

/** Long-lived, stateless services; one set per process. */
export interface ServiceRuntime {
  logger?: Logger;
  /** The job queue, once started; null where no queue runs (e.g. a one-off seed script). */
  queue?: () => JobQueue | null;
}

/** The parsed configuration (`loadConfig`): every default is defined there, none here. */
export function createServices(db: Db, config: Config, runtime: ServiceRuntime = {}) {
  const logger = runtime.logger ?? createLogger('silent');
  const cipher = fieldCipherFromConfig(config, logger);
  const models = createModelServices(db, {
    logger,
    queue: runtime.queue ?? (() => null),
    trainingThread: config.TRAINING_THREAD,
    tfjsBackend: config.TFJS_BACKEND,
    trainingQueue: { maxQueuedPerKey: config.TRAINING_MAX_QUEUED_PER_KEY },
    ratingScale: config.ratingScale,
  });
  const limits = { maxBatchSize: config.MAX_BATCH_SIZE, maxPageSize: config.MAX_PAGE_SIZE, maxQueryCost: config.QUERY_MAX_COST };
  return {
    limits,
    models,
    users: new UsersService(db, limits, cipher, models.erasure),
    privacy: { cipher, nonPersonalAttributeKeys: config.NON_PERSONAL_ATTRIBUTE_KEYS },
    apiKeys: new ApiKeysService(db, { adminApiKey: config.ADMIN_API_KEY, cacheSeconds: config.API_KEY_CACHE_SECONDS, logger }),
    audit: new AuditService(db, limits),
    interactions: new InteractionsService(db, limits, config.ratingScale),
    // New feedback is classified in the background by every active text classifier.
    feedback: new FeedbackService(db, limits, () => {
      models.classification.classifyNewFeedback().catch((error: unknown) => logger.error({ err: error }, 'classifying new feedback failed'));
    }),
    products: new ProductsService(db, limits),
    campaigns: new CampaignsService(db, limits),
    // Serves the active recommender (trained by models.training) from memory.
    recommendations: new RecommendationService(db, models.registry, logger, { ratingScale: config.ratingScale }),
    analytics: new AnalyticsService(db),
  };
}
export type Services = ReturnType<typeof createServices>;
